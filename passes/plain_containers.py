"""Raising plain lists and dicts of layers back to the hub's layer containers.

A framework that tracks layers held in plain Python containers (MLX, NumPy's plain
classes: their ``ModuleList``/``ModuleDict`` variants are ``builtins.list``/``dict`` with
the ``plain_container`` plugin) writes ``self.blocks = [nn.Linear(8, 8) for _ in range(3)]``.
A target that needs a container layer (``nn.ModuleList``) must get one, or its layers are
not registered (no parameters, nothing to migrate). So, raising: a list or dict display,
or a list comprehension, whose elements are all layers and which is assigned to a
``self`` attribute, becomes the hub container holding it.
"""

from __future__ import annotations

from switcheroo.dialects import hub, pysrc
from switcheroo.ontology.loader import load_ontology
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import SSAValue


def _containers(framework: str) -> dict[str, str]:
    """``list``/``dict`` -> the spec whose ``framework`` variant is that plain container."""
    out: dict[str, str] = {}
    for name in ("ModuleList", "ModuleDict"):
        variant = load_ontology().specs[name].variants.get(framework) if name in load_ontology().specs else None
        if variant is not None and "plain_container" in variant.requires_plugin:
            out[variant.api.removeprefix("builtins.")] = name
    return out


def _is_layer(v: SSAValue) -> bool:
    return isinstance(v.type, pysrc.LayerType)


def _holds_layers(value: SSAValue) -> str | None:
    """``list`` or ``dict`` when ``value`` is a display or comprehension of layers only."""
    owner = value.owner
    if isinstance(owner, pysrc.CompOp) and owner.kind.data == "list":
        block = owner.regions[0].block
        last = block.last_op
        return "list" if isinstance(last, pysrc.YieldOp) and all(_is_layer(v) for v in last.operands) else None
    if isinstance(owner, pysrc.TupleOp) and owner.operands:
        kind = owner.kind.data
        if kind == "list" and all(_is_layer(v) for v in owner.operands):
            return "list"
        if kind == "dict" and all(_is_layer(v) for v in list(owner.operands)[1::2]):
            return "dict"
    return None


def wrap_plain_containers(module: builtin.ModuleOp, framework: str) -> None:
    """``self.x = [layers]`` -> ``self.x = hub.ModuleList([layers])`` (and dicts alike)."""
    specs = _containers(framework)
    if not specs:
        return
    for assign in [o for o in module.walk() if isinstance(o, pysrc.AssignOp)]:
        value = assign.operands[0]
        if not assign.target.data.startswith("self.") or (kind := _holds_layers(value)) not in specs:
            continue
        wrap = hub.op_for(specs[kind]).create(
            operands=[value], properties={"arg_names": ArrayAttr([StringAttr("layers")]),
                                          "src_framework": StringAttr(framework)},
            result_types=[pysrc.LayerType()])
        block = assign.parent_block()
        assert block is not None
        block.insert_op_before(wrap, assign)
        assign.operands = [wrap.res[0]]
