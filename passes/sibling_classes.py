"""Classes a file imports from the other files of its project, read where they are defined.

``swc-translate`` converts one file at a time, but a model file builds on its project's
other modules: torchvision's ``mobilenetv2.py`` does ``from ..ops.misc import
Conv2dNormActivation`` and puts those blocks in ``nn.Sequential`` containers. Where the
imported file sits next to the converted one (the relative import resolved against the
``pysrc.module``'s ``path``, or an absolute import whose first package is a parent
directory of that path), its classes are read with LibCST, without converting it:

- the base classes, followed through that file (``Conv2dNormActivation`` derives from
  ``ConvNormActivation``, which derives from ``torch.nn.Sequential``),
- the source framework's layer classes its constructors name (built, given as parameter
  defaults, or handed to ``super().__init__``), as layer spec names.

A container subclass holding only layers that want one layout (a conv, a BatchNorm, an
activation) takes that layout when it is a member of a container of the converted file;
a class that builds layers takes the target's RNG stream (``rngs=rngs``) when called, as
the converted twin of that file does. A file that cannot be read or parsed gives no
classes: the importing file is converted as before, its calls of them unknown.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider
from switcheroo.dialects import pysrc
from switcheroo.ontology.loader import load_ontology
from xdsl.ir import Operation

# The layer spec whose source class makes a subclass a container of its members.
CONTAINER_SPEC = "Sequential"


@dataclass(frozen=True)
class SiblingClass:
    """What the converter needs to know of a class defined in another file of the project."""

    name: str
    container: bool  # derives from the source framework's Sequential
    layers: frozenset[str]  # layer specs its constructors (and its bases') may build
    params: tuple[str, ...] = ()  # its constructor's parameters after self
    factories: frozenset[str] = frozenset()  # those whose default is a layer class


def _resolve(importer: Path, module: str, level: int) -> Path | None:
    """The file ``from <level dots><module> import ...`` names, seen from ``importer``."""
    parts = [p for p in module.split(".") if p]
    if level:
        base = importer.parent
        for _ in range(level - 1):
            base = base.parent
    else:
        # An absolute import of the project's own package: a parent directory of that name.
        base = next((d.parent for d in importer.parents if parts and d.name == parts[0]), None)
        if base is None:
            return None
    target = base.joinpath(*parts)
    for candidate in (target.with_suffix(".py"), target / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


class _ClassScan(cst.CSTVisitor):
    """Per top-level class: its bases' qualified names and the qualified names its
    ``__init__`` methods mention (constructors, defaults, ``super().__init__`` arguments)."""

    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def __init__(self) -> None:
        self.bases: dict[str, list[str]] = {}
        self.named: dict[str, set[str]] = {}
        self.params: dict[str, list[str]] = {}
        self.defaults: dict[str, dict[str, set[str]]] = {}
        self._cls: list[str] = []
        self._in_init = 0

    def _names(self, node: cst.CSTNode) -> set[str]:
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._cls.append(node.name.value)
        if len(self._cls) == 1:
            self.bases[node.name.value] = [n for b in node.bases for n in self._names(b.value)] or \
                [b.value.value for b in node.bases if isinstance(b.value, cst.Name)]
            self.named[node.name.value] = set()

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._cls.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if len(self._cls) == 1 and node.name.value == "__init__":
            self._in_init += 1
            ps = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
            self.params[self._cls[0]] = [p.name.value for p in ps][1:]
            self.defaults[self._cls[0]] = {p.name.value: self._names(p.default) for p in ps if p.default}

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if len(self._cls) == 1 and original_node.name.value == "__init__":
            self._in_init -= 1

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self._in_init:
            self.named[self._cls[0]] |= self._names(node)

    def visit_Name(self, node: cst.Name) -> None:
        if self._in_init:
            self.named[self._cls[0]] |= self._names(node)


@lru_cache(maxsize=64)
def _read(file: Path, mtime: float, framework: str) -> dict[str, SiblingClass]:
    """The classes of ``file`` (``mtime`` keys the cache to the file's version)."""
    try:
        wrapper = MetadataWrapper(cst.parse_module(file.read_text()))
    except (OSError, UnicodeDecodeError, cst.ParserSyntaxError):
        return {}
    scan = _ClassScan()
    wrapper.visit(scan)
    onto = load_ontology()
    seq = onto.specs[CONTAINER_SPEC].variants.get(framework)
    container_base = seq.api if seq is not None else None
    out: dict[str, SiblingClass] = {}

    def build(name: str, seen: frozenset[str]) -> SiblingClass:
        if name in out:
            return out[name]
        container = False
        layers = set()
        for api in scan.named.get(name, ()):
            hit = onto.lookup_api(framework, api)
            if api == container_base:
                continue
            if hit is not None and hit[0].kind.value == "layer":
                layers.add(hit[0].operation)
        for base in scan.bases.get(name, ()):
            local = base.rsplit(".", 1)[-1]
            if base == container_base:
                container = True
            elif local in scan.bases and local not in seen:
                parent = build(local, seen | {name})
                container |= parent.container
                layers |= parent.layers
        params = scan.params.get(name)
        factories = set()
        for param, named in scan.defaults.get(name, {}).items():
            hits = [onto.lookup_api(framework, api) for api in named]
            if any(h is not None and h[0].kind.value == "layer" for h in hits):
                factories.add(param)
        if params is None:  # no constructor of its own: its base's
            base = next((out[b.rsplit(".", 1)[-1]] for b in scan.bases.get(name, ())
                         if b.rsplit(".", 1)[-1] in out), None)
            params, factories = (list(base.params), set(base.factories)) if base else ([], set())
        out[name] = SiblingClass(name, container, frozenset(layers), tuple(params), frozenset(factories))
        return out[name]

    for cls in scan.bases:
        build(cls, frozenset())
    return out


# module op -> the imported sibling classes by the name the file binds.
_CACHE: weakref.WeakKeyDictionary[Operation, dict[str, SiblingClass]] = weakref.WeakKeyDictionary()


def sibling_classes(at: Operation, framework: str = "torch") -> dict[str, SiblingClass]:
    """The classes the file holding ``at`` imports from other files of its project, by the
    name it binds them to; empty when its path is not a file on disk."""
    top = at
    while (p := top.parent_op()) is not None and not isinstance(top, pysrc.ModuleOp):
        top = p
    if not isinstance(top, pysrc.ModuleOp):
        top = next((o for o in top.walk() if isinstance(o, pysrc.ModuleOp)), top)
    if top in _CACHE:
        return _CACHE[top]
    found: dict[str, SiblingClass] = {}
    path = Path(top.path.data) if isinstance(top, pysrc.ModuleOp) and top.path is not None else None
    if path is not None and path.is_file():
        for op in top.body.block.ops if isinstance(top, pysrc.ModuleOp) else ():
            if isinstance(op, pysrc.OpaqueStmtOp) and op.kind is not None and op.kind.data == "import":
                found.update(_imported(path, op.code.data, framework))
    _CACHE[top] = found
    return found


def _imported(importer: Path, code: str, framework: str) -> dict[str, SiblingClass]:
    try:
        stmt = cst.parse_statement(code)
    except cst.ParserSyntaxError:
        return {}
    node = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
    if not isinstance(node, cst.ImportFrom) or isinstance(node.names, cst.ImportStar):
        return {}
    module = cst.Module([]).code_for_node(node.module) if node.module is not None else ""
    file = _resolve(importer, module, len(node.relative))
    if file is None:
        return {}
    classes = _read(file, file.stat().st_mtime, framework)
    out = {}
    for alias in node.names:
        name = cst.Module([]).code_for_node(alias.name)
        bound = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
        if name in classes:
            out[bound] = classes[name]
    return out


def sibling_called(call: Operation) -> SiblingClass | None:
    """The imported class a ``pysrc.call`` of a plain name constructs, if any."""
    if isinstance(call, pysrc.CallOp) and isinstance(call.callee.owner, pysrc.NameOp):
        return sibling_classes(call).get(call.callee.owner.id.data)
    return None


def call_layers(call: pysrc.CallOp, sibling: SiblingClass) -> frozenset[str] | None:
    """The layer specs a call of ``sibling`` may build: its own, and the layer classes the
    call hands its factory parameters (``norm_layer=nn.BatchNorm2d``,
    ``activation_layer=nn.ReLU6``, or a name bound only to such classes); None when one of
    those is something else (a class from outside the file: its layout is not known)."""
    from switcheroo.dialects import fw, hub
    from switcheroo.passes import layer_sources

    out = set(sibling.layers)
    onto = load_ontology()
    names = [n.data for n in call.arg_names.data]
    if "*" in names or "**" in names:
        return None
    for i, (name, arg) in enumerate(zip(names, call.args)):
        param = name or (sibling.params[i] if i < len(sibling.params) else "")
        if param not in sibling.factories:
            continue
        owner = arg.owner
        if isinstance(owner, pysrc.ConstOp) and owner.code.data == "None":
            continue
        if isinstance(owner, fw.RefOp):
            hit = onto.lookup_api(owner.framework.data, owner.api.data)
            if hit is None or hit[0].kind.value != "layer":
                return None
            out.add(hit[0].operation)
            continue
        made = layer_sources.producers(arg)
        if not made or not all(isinstance(m, hub.LayerFactoryOp) for m in made):
            return None
        out.update(m.layer.data for m in made)
    return frozenset(out)
