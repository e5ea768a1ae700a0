"""Walk a live model into weight-carrying layers, each named by its hub path.

A layer whose class spells a hub layer spec (found through the ontology's API mappings,
else the weight rules' class lists) is one node, its whole subtree consumed by the rule.
Any other module contributes its own tensors as a plain node (copied by name) and is
descended into; a child it lists in a ``layer_names`` dict is named by that source name
alone (a lifted Keras helper's layers keep Keras's flat names there). Container attributes that other frameworks do not have (nnx.Sequential
``layers``, nnx.RNN ``cell``) are dropped from the hub path; a container whose rule is
``positional`` (torch's Sequential) names its children by position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from switcheroo.backends.weights.adapters import Adapter, resolve_api
from switcheroo.backends.weights.rules import Container, FrameworkRules, LayerForm, Stack


@dataclass
class LayerNode:
    """One weight-carrying layer: ``tensors`` maps parameter names (dotted below the
    layer, as the rule names them) to framework handles."""

    hub_path: tuple[str, ...]
    fw_path: tuple[str, ...]
    obj: Any
    spec: str | None = None
    form: LayerForm | None = None
    tensors: dict[str, Any] = field(default_factory=dict)
    owners: dict[str, tuple[Any, str]] = field(default_factory=dict)
    # (hub depth, container hub name) of the containers above this layer.
    containers: tuple[tuple[int, str], ...] = ()
    # Every spec the class can spell (nnx.BatchNorm: BatchNorm1d, 2d and 3d).
    alternatives: dict[str, LayerForm] = field(default_factory=dict)
    # Parameter name -> the framework's own name, for one layer of a stack
    # (torch LSTM: weight_ih_l0 of hub layer (1, backward) is weight_ih_l1_reverse).
    renames: dict[str, str] = field(default_factory=dict)
    # Tensors a checkpoint of this framework leaves out (torch's non-persistent buffers).
    optional: set[str] = field(default_factory=set)

    def as_spec(self, spec: str) -> bool:
        """Re-read this layer as ``spec`` when its class also spells that one."""
        form = self.alternatives.get(spec)
        if form is None:
            return False
        self.spec, self.form = spec, form
        return True

    @property
    def name(self) -> str:
        return ".".join(self.hub_path) or "<root>"

    def key(self, param: str) -> str:
        """The flat checkpoint key of ``param`` in this framework."""
        return ".".join((*self.fw_path, self.renames.get(param, param)))


@lru_cache(maxsize=8)
def _ontology_specs(frameworks: tuple[str, ...]) -> dict[int, str]:
    """id(class) -> hub spec name, from the ontology's layer mappings."""
    from switcheroo.ontology.loader import OdlError, load_ontology

    try:
        onto = load_ontology()
    except OdlError:
        return {}  # the rules' class lists still identify every layer they know
    out: dict[int, str] = {}
    for name, spec in onto.specs.items():
        if spec.kind.value != "layer":
            continue
        for fw in frameworks:
            var = spec.variants.get(fw)
            obj = resolve_api(var.api) if var else None
            if isinstance(obj, type):
                out.setdefault(id(obj), name)
    return out


class ClassIndex:
    """Finds the (spec, form) of a layer object for one framework."""

    def __init__(self, rules: FrameworkRules, adapter: Adapter, ontology_fws: tuple[str, ...]):
        self.rules = rules
        self.adapter = adapter
        self.ontology_fws = ontology_fws
        self._forms: dict[int, list[tuple[str, LayerForm]]] = {}
        # Classes named without a module are defined by the converted module itself
        # (NumPy's layers): matched by class name.
        self._local: dict[str, list[tuple[str, LayerForm]]] = {}
        for spec, forms in rules.layers.items():
            for form in forms:
                for api in form.classes:
                    cls = resolve_api(api)
                    if isinstance(cls, type):
                        self._forms.setdefault(id(cls), []).append((spec, form))
                    elif "." not in api:
                        self._local.setdefault(api, []).append((spec, form))
        self._containers: dict[int, Container] = {}
        for c in rules.containers:
            cls = resolve_api(c.class_)
            if isinstance(cls, type):
                self._containers[id(cls)] = c

    def match(self, obj: Any) -> list[tuple[str, LayerForm]]:
        """The (spec, form) pairs ``obj`` can spell, best first; empty for a class no
        rule names. The ontology's mapping of the class decides the first."""
        onto = _ontology_specs(self.ontology_fws)
        for cls in type(obj).__mro__:
            cands = self._forms.get(id(cls)) or self._local.get(cls.__name__)
            if not cands:
                continue
            preferred = onto.get(id(cls))
            cands = sorted(cands, key=lambda c: c[0] != preferred)
            return [(spec, form) for spec, form in cands if self._when_holds(obj, form)]
        return []

    def _when_holds(self, obj: Any, form: LayerForm) -> bool:
        if form.when is None:
            return True
        hit = self.adapter.lookup(obj, form.when.param)
        if hit is None or form.when.ndim is None:
            return hit is not None
        return len(self.adapter.shape(hit[2])) == form.when.ndim

    def container(self, obj: Any) -> Container | None:
        """The container rule of ``obj``'s class, if any."""
        if isinstance(obj, list | tuple):
            return None
        for cls in type(obj).__mro__:
            if id(cls) in self._containers:
                return self._containers[id(cls)]
        return None


def walk(model: Any, index: ClassIndex, weight_norm: bool = True) -> list[LayerNode]:
    """Every weight-carrying layer of ``model``, in definition order."""
    adapter = index.adapter
    out: list[LayerNode] = []

    def visit(obj: Any, hub: tuple[str, ...], fw: tuple[str, ...], conts: tuple) -> None:
        hits = index.match(obj) if not isinstance(obj, list | tuple) else []
        if hits:
            stack = hits[0][1].stack
            if stack is not None and _is_stacked(obj, stack):
                out.extend(_stacked_nodes(obj, hub, fw, hits[0], index, conts))
                return
            node = _layer_node(obj, hub, fw, hits[0], index, weight_norm)
            node.alternatives = dict(reversed(hits))
            node.containers = conts
            out.append(node)
            return
        own = adapter.tensors(obj)
        extra = adapter.optional_tensors(obj) if adapter.is_module(obj) else {}
        if own or extra:
            node = LayerNode(hub, fw, obj, tensors={**own, **extra}, containers=conts, optional=set(extra))
            node.owners = {k: (obj, k) for k in node.tensors}
            out.append(node)
        cont = index.container(obj)
        attr = cont.attr if cont else None
        if cont is not None and cont.hub:
            conts = (*conts, (len(hub), cont.hub))
        names = cont.names if cont else {}
        # A converted module that nests layers a source model holds flatly lists the source
        # names of its attributes (``layer_names``): such a layer's hub path is that name.
        flat = getattr(obj, "layer_names", None)
        flat = flat if isinstance(flat, dict) else {}
        for i, (name, child) in enumerate(adapter.children(obj)):
            drop = attr is not None and name == attr
            if isinstance(flat.get(name), str):
                visit(child, (flat[name],), (*fw, name), ())
                continue
            own = str(i) if cont is not None and cont.positional else names.get(name, name)
            visit(child, hub if drop else (*hub, own), (*fw, name), conts)

    visit(model, (), (), ())
    return out


def _layer_node(obj, hub, fw, hit, index: ClassIndex, weight_norm: bool) -> LayerNode:
    spec, form = hit
    node = LayerNode(hub, fw, obj, spec=spec, form=form)
    adapter = index.adapter
    wanted = list(form.params) + list(form.drop)
    if weight_norm:
        for wn in index.rules.weight_norm:
            wanted += [wn.g, wn.v]
    for name in wanted:
        found = adapter.lookup(obj, name)
        if found is not None:
            owner, leaf, handle = found
            node.tensors[name] = handle
            node.owners[name] = (owner, leaf)
    # Tensors under the layer that no rule names are reported as unexpected later.
    node.tensors.update({f"?{k}": v for k, v in _stray(obj, node, adapter).items()})
    return node


def _is_stacked(obj: Any, stack: Stack) -> bool:
    return getattr(obj, stack.layers, 1) != 1 or bool(getattr(obj, stack.bidirectional, False))


def _stacked_nodes(obj, hub, fw, hit, index: ClassIndex, conts: tuple) -> list[LayerNode]:
    """One node per (layer, direction) of a stacked class, as if each were a layer of its
    own in a sequence (``<layer>``) of bidirectional pairs (``forward``/``backward``)."""
    spec, form = hit
    stack = form.stack
    assert stack is not None
    layers, both = int(getattr(obj, stack.layers)), bool(getattr(obj, stack.bidirectional))
    adapter = index.adapter
    out: list[LayerNode] = []
    for layer in range(layers):
        path, kinds = hub, conts
        if layers > 1:
            path, kinds = (*path, str(layer)), (*kinds, (len(path), "Sequential"))
        if both:
            kinds = (*kinds, (len(path), "Bidirectional"))
        for backward in (False, True) if both else (False,):
            node = LayerNode(
                (*path, "backward" if backward else "forward") if both else path,
                fw,
                obj,
                spec=spec,
                form=form,
                containers=kinds,
            )
            for name in list(form.params) + list(form.drop):
                own = stack.name(name, layer, backward)
                found = adapter.lookup(obj, own)
                if found is not None:
                    node.renames[name] = own
                    node.tensors[name] = found[2]
                    node.owners[name] = found[:2]
            out.append(node)
    # Tensors no (layer, direction) claims are reported as unexpected with the first.
    claimed = {id(h) for n in out for h in n.tensors.values()}
    stray = {k: h for k, h in adapter.tensors(obj).items() if id(h) not in claimed}
    out[0].tensors.update({f"?{k}": h for k, h in stray.items()})
    return out


def _stray(obj: Any, node: LayerNode, adapter: Adapter) -> dict[str, Any]:
    seen = {id(h) for h in node.tensors.values()}
    stray: dict[str, Any] = {}

    def visit(o: Any, prefix: str) -> None:
        for k, h in adapter.tensors(o).items():
            if id(h) not in seen:
                stray[prefix + k] = h
        for k, child in adapter.children(o):
            visit(child, f"{prefix}{k}.")

    visit(obj, "")
    return stray
