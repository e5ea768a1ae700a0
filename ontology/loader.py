"""Load the ontology's YAML files into typed models, with indexes and a warm cache.

``load_ontology()`` returns an :class:`Ontology`: hub specs keyed by name, each holding
the per-framework variants merged in from the mapping files, plus lookups by API name.
Bad ODL raises :class:`OdlError` naming the file, the line and the field.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from switcheroo.ontology.odl import (
    FrameworkTraits,
    MappingFile,
    OpSpec,
    PluginsFile,
    SpecFile,
    TraitsFile,
    Variant,
)

DATA_DIR = Path(__file__).parent / "data"


def _yaml() -> tuple[Any, Any]:
    """PyYAML and its fastest safe loader, imported only when files are parsed (a warm
    load reads the pickle and never needs them)."""
    import yaml

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class OdlError(Exception):
    """Invalid ODL: ``file:line: field: message``."""


@dataclass
class Ontology:
    specs: dict[str, OpSpec]
    traits: dict[str, FrameworkTraits]
    by_api: dict[tuple[str, str], tuple[str, Variant]] = field(default_factory=dict)
    all_by_api: dict[tuple[str, str], list[tuple[str, Variant]]] = field(default_factory=dict)
    by_method: dict[tuple[str, str], list[tuple[str, Variant]]] = field(default_factory=dict)
    by_property: dict[tuple[str, str], tuple[str, Variant]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    plugins: dict[str, str] = field(default_factory=dict)
    mapping_files: dict[tuple[str, str], str] = field(default_factory=dict)
    _indexed: bool = field(default=False, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        # The API indexes are rebuilt on first lookup (a few ms) rather than pickled: they
        # would cost more to unpickle than to build, and most loads never look one up.
        state = dict(self.__dict__)
        state.update(by_api={}, all_by_api={}, by_method={}, by_property={}, _indexed=False)
        return state

    def _index(self) -> None:
        if self._indexed:
            return
        self._indexed = True
        for name, spec in self.specs.items():
            for fw, var in spec.variants.items():
                if var.direction == "lower":
                    continue  # another spec owns this API when raising
                self.by_api.setdefault((fw, var.api), (name, var))
                self.all_by_api.setdefault((fw, var.api), []).append((name, var))
                for alias in var.aliases:
                    self.by_api.setdefault((fw, alias), (name, var))
                    self.all_by_api.setdefault((fw, alias), []).append((name, var))
                for rule in var.dispatch_rules:
                    if rule.use_api is not None:
                        self.by_api.setdefault((fw, rule.use_api), (name, var))
                if var.method:
                    self.by_method.setdefault((fw, var.method), []).append((name, var))
                if var.property:
                    self.by_property.setdefault((fw, var.property), (name, var))

    def lookup_api_all(self, framework: str, api: str) -> list[tuple[OpSpec, Variant]]:
        """Every (spec, variant) whose variant is spelled ``api`` (several specs can share
        an API: torch.transpose is swapaxes, and matrix_transpose with injected axes)."""
        self._index()
        return [(self.specs[n], v) for n, v in self.all_by_api.get((framework, api), [])]

    def lookup_api(self, framework: str, api: str) -> tuple[OpSpec, Variant] | None:
        self._index()
        hit = self.by_api.get((framework, api))
        if hit is None:
            return None
        return self.specs[hit[0]], hit[1]

    def property_names(self, frameworks: list[str]) -> set[str]:
        """The tensor attributes (``property:``) any of ``frameworks`` maps."""
        self._index()
        return {name for fw, name in self.by_property if fw in frameworks}

    def lookup_property(self, framework: str, name: str) -> tuple[OpSpec, Variant] | None:
        """The (spec, variant) a tensor attribute ``x.<name>`` computes (``property:``)."""
        self._index()
        hit = self.by_property.get((framework, name))
        return (self.specs[hit[0]], hit[1]) if hit is not None else None

    def lookup_method(self, framework: str, method: str) -> list[tuple[OpSpec, Variant]]:
        self._index()
        return [(self.specs[n], v) for n, v in self.by_method.get((framework, method), [])]


def _line_of(node: Any, path: tuple[Any, ...]) -> int:
    """The 1-based line of the YAML node at ``path`` (as deep as it can be followed)."""
    yaml, _ = _yaml()
    for key in path:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            nxt = node.value[key]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
    return node.start_mark.line + 1


def _raise_odl(path: Path, text: str, err: ValidationError) -> None:
    first = err.errors()[0]
    loc = tuple(first["loc"])
    yaml, loader = _yaml()
    root = yaml.compose(text, Loader=loader)
    line = _line_of(root, loc) if root is not None else 1
    field_path = ".".join(str(p) for p in loc)
    raise OdlError(f"{path}:{line}: {field_path}: {first['msg']}") from None


def parse_file(
    path: Path, text: str | None = None
) -> SpecFile | MappingFile | TraitsFile | PluginsFile:
    """Parse and validate one ontology file."""
    text = path.read_text() if text is None else text
    yaml, loader = _yaml()
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise OdlError(f"{path}:{line}: yaml: {getattr(e, 'problem', e)}") from None
    if not isinstance(data, dict):
        raise OdlError(f"{path}:1: top level: expected a mapping")
    model: type[SpecFile | MappingFile | TraitsFile | PluginsFile]
    if "ops" in data:
        model = SpecFile
    elif "framework_traits" in data:
        model = TraitsFile
    elif "mappings" in data:
        model = MappingFile
    elif "plugins" in data:
        model = PluginsFile
    else:
        raise OdlError(
            f"{path}:1: top level: expected 'ops', 'mappings', 'framework_traits' or 'plugins'"
        )
    try:
        return model.model_validate(data)
    except ValidationError as e:
        _raise_odl(path, text, e)
        raise AssertionError("unreachable") from None


def data_files(data_dir: Path = DATA_DIR) -> list[Path]:
    return sorted(data_dir.rglob("*.yaml"))


def _rel(path: Path) -> str:
    """A data file's name relative to the data folder (its bare name when outside it)."""
    try:
        return str(path.relative_to(DATA_DIR))
    except ValueError:
        return path.name


def _check_compose(
    path: Path, op_name: str, spec: OpSpec, variant: Variant, framework: str,
    traits: dict[str, FrameworkTraits],
) -> None:
    """A composed variant (or a dispatch rule's ``use_compose``) names only the spec's
    arguments, builtins and module roots of its framework (and fallbacks) or the standard
    library."""
    from switcheroo.ontology import compose

    prefixes = [p for fw in (framework, *(traits[framework].fallback if framework in traits else ()))
                for p in (traits[fw].source_prefixes if fw in traits else ())]
    texts = [("compose", variant.compose)] if variant.compose is not None else []
    texts += [("dispatch_rules", r.use_compose) for r in variant.dispatch_rules if r.use_compose is not None]
    for key, text in texts:
        bad = compose.unknown_names(compose.parse(text), compose.names_for(spec.arg_names, prefixes))
        if not bad:
            continue
        yaml, loader = _yaml()
        root = yaml.compose(path.read_text(), Loader=loader)
        line = _line_of(root, ("mappings", op_name, key)) if root is not None else 1
        label = "compose" if key == "compose" else "dispatch_rules.use_compose"
        raise OdlError(
            f"{path}:{line}: mappings.{op_name}.{label}: unknown name(s) {', '.join(bad)} "
            f"(arguments of {op_name}: {', '.join(spec.arg_names) or 'none'}; module roots: "
            f"{', '.join(sorted(compose.names_for((), prefixes).roots))})"
        )


def build_ontology(files: list[Path]) -> Ontology:
    """Validate every file and merge mappings into their specs (no cache)."""
    specs: dict[str, OpSpec] = {}
    spec_file: dict[str, str] = {}
    traits: dict[str, FrameworkTraits] = {}
    plugins: dict[str, str] = {}
    mapping_files: dict[tuple[str, str], str] = {}
    mappings: list[tuple[Path, MappingFile]] = []
    for path in files:
        parsed = parse_file(path)
        if isinstance(parsed, SpecFile):
            for spec in parsed.ops:
                if spec.operation in specs:
                    raise OdlError(
                        f"{path}:1: ops: duplicate spec {spec.operation!r} "
                        f"(first in {spec_file[spec.operation]})"
                    )
                specs[spec.operation] = spec
                spec_file[spec.operation] = path.name
        elif isinstance(parsed, TraitsFile):
            for t in parsed.framework_traits:
                traits[t.framework] = t
        elif isinstance(parsed, PluginsFile):
            plugins.update({p.name: p.description for p in parsed.plugins})
        else:
            mappings.append((path, parsed))
    for path, mf in mappings:
        for op_name, variant in mf.mappings.items():
            spec = specs.get(op_name)
            if spec is None:
                raise OdlError(f"{path}:1: mappings.{op_name}: no hub spec named {op_name!r}")
            if mf.framework in spec.variants:
                raise OdlError(
                    f"{path}:1: mappings.{op_name}: {mf.framework} variant given twice "
                    f"(first in {mapping_files.get((op_name, mf.framework), 'its spec')})"
                )
            if variant.compose is not None or any(r.use_compose for r in variant.dispatch_rules):
                _check_compose(path, op_name, spec, variant, mf.framework, traits)
            mapping_files[(op_name, mf.framework)] = _rel(path)
            specs[op_name] = spec.model_copy(
                update={"variants": {**spec.variants, mf.framework: variant}}
            )
    return Ontology(
        specs=specs,
        traits=traits,
        files=spec_file,
        plugins=plugins,
        mapping_files=mapping_files,
    )


_CACHE_FORMAT = "ontology-cache-v5"  # bump when the Ontology class changes shape


def _fingerprint(files: list[Path]) -> str:
    h = hashlib.sha256(_CACHE_FORMAT.encode())
    # The models' source too: a pickle made before a field was added unpickles without it.
    for p in (*files, Path(__file__).with_name("odl.py")):
        st = p.stat()
        h.update(f"{p}:{st.st_mtime_ns}:{st.st_size};".encode())
    return h.hexdigest()[:24]


def _cache_dir() -> Path:
    base = os.environ.get("SWC_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "switcheroo"
    )
    return Path(base)


@lru_cache(maxsize=1)
def load_ontology() -> Ontology:
    """The whole ontology, from a pickle cache keyed on the data files when it is warm."""
    files = data_files()
    cache = _cache_dir() / f"ontology-{_fingerprint(files)}.pickle"
    try:
        data = cache.read_bytes()
        # Unpickling makes thousands of small objects that can only be live: the cyclic
        # collector, triggered over and over meanwhile, would find nothing to free.
        collecting = gc.isenabled()
        gc.disable()
        try:
            onto = pickle.loads(data)
        finally:
            if collecting:
                gc.enable()
        if isinstance(onto, Ontology):
            return onto
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        pass  # cold or stale cache: rebuild below
    onto = build_ontology(files)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(onto, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cache)
        for stale in cache.parent.glob("ontology-*.pickle"):
            if stale != cache:
                stale.unlink(missing_ok=True)  # each data change leaves one; keep the newest
    except OSError:
        pass  # a read-only cache dir only costs speed
    return onto
