"""Layouts of container layers: what ``nn.Sequential(conv, bn, relu)`` needs as a whole.

A ``Sequential`` hands each member's output to the next, so ``convert-layouts`` cannot
permute between them; the container needs one layout for all its members. When every
member that cares about layout wants the same one (a conv and a BatchNorm both NHWC) and
the rest are indifferent (activations, dropout), the container takes that layout. When the
members disagree (a conv, then a Flatten or a Linear that must see channels-first data),
the container is kept as its source API and marked, never converted silently wrong.
"""

from __future__ import annotations

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology.odl import LayoutMap, parse_layout
from switcheroo.passes import layer_sources
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.fw_common import make_const, target_variant
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation

# Layer specs whose result does not depend on the layout of their input (element-wise).
LAYOUT_FREE = frozenset({
    "ReLU", "ReLU6", "GELU", "Sigmoid", "Tanh", "SiLU", "LeakyReLU", "ELU", "SELU", "CELU",
    "Softplus", "Softsign", "Hardswish", "Hardsigmoid", "Hardtanh", "Mish", "LogSigmoid",
    "Dropout", "Identity",
})
CONTAINERS = frozenset({"Sequential"})


def constructor_of(apply: hub.ApplyOp) -> Operation | None:
    """The op that built the layer ``apply`` calls (``self.X = hub.Sequential(...)``)."""
    callee = apply.args[0].owner
    if not (isinstance(callee, pysrc.AttrOp) and isinstance(callee.obj.owner, pysrc.NameOp)
            and callee.obj.owner.id.data == "self"):
        return None
    cls = apply.parent_op()
    while cls is not None and not isinstance(cls, pysrc.ClassOp):
        cls = cls.parent_op()
    if cls is None:
        return None
    target = f"self.{callee.attr.data}"
    for op in cls.walk():
        if isinstance(op, pysrc.AssignOp) and op.target.data == target:
            if isinstance(op.value.owner, hub.HubOp):
                return op.value.owner
            # self.features = features, from VGG(make_layers(cfg)): the one container built.
            built = layer_sources.producers(op.value)
            return built[0] if built and len(built) == 1 else op.value.owner
    return None


def members(ctor: hub.HubOp) -> list[Operation | None]:
    """The layers a container holds, ``*layers`` expanded (None for one not known)."""
    out: list[Operation | None] = []
    for m in ctor.named_args().get("layers", []):
        if isinstance(m.owner, hub.HubOp):
            out.append(m.owner)
            continue
        found = layer_sources.list_members(m.owner.value) if isinstance(m.owner, pysrc.StarOp) \
            else layer_sources.producers(m)
        out.extend(found if found is not None else [None])
    return out


def member_layout(member: Operation, framework: str) -> tuple[str, str | None] | None | bool:
    """(input layout, return layout) a member needs; None when it is indifferent; False
    when it is sensitive to layout without declaring one (Flatten, Linear, ...)."""
    spec = layer_sources.layer_spec(member) if member is not None else None
    if spec is None:
        return False
    if spec in LAYOUT_FREE:
        return None
    found = target_variant(load_ontology().specs[spec], framework)
    lm = found[1].layout_map if found else None
    if lm is None or "input" not in lm.args:
        return False
    return lm.args["input"], lm.return_


def container_layout(apply: hub.ApplyOp, framework: str) -> LayoutMap | None:
    """The layout a container's call needs for ``framework``. A container whose members
    disagree (squeezenet's convs and pools, NHWC in flax, between ``Fire`` blocks that keep
    the source's layout), or an attribute assigned more than one container, gets ``Permute``
    members where the layout changes: it then takes and returns the source's layout, and
    its call needs none. Where that cannot be done its constructor is kept, marked."""
    ctor = constructor_of(apply)
    if not isinstance(ctor, hub.HubOp) or ctor.SPEC_NAME not in CONTAINERS:
        return None
    ctors = [ctor, *(c for c in _assigned_containers(apply) if c is not ctor)]
    for c in ctors:
        held = members(c)
        if any(isinstance(m, hub.HubOp) and m.SPEC_NAME == "Permute" for m in held):
            continue  # permuted inside already
        if None in held:
            _keep_marked(c, f"the members of this {c.SPEC_NAME} are not known where it is built, so "
                            f"the tensor layout its call needs in {framework} is not known")
            continue
        needs = [member_layout(m, framework) for m in held]
        wanted = {n for n in needs if n}
        if not wanted:
            continue
        if len(ctors) == 1 and len(wanted) == 1 and False not in needs:
            (inp, ret), = wanted
            return LayoutMap(args={"input": inp}, **{"return": ret})
        if not _permute_inside(c, needs):
            _keep_marked(c, f"the members of this {c.SPEC_NAME} need different tensor layouts "
                            f"in {framework}; split it where the layout changes")
    return None


def _assigned_containers(apply: hub.ApplyOp) -> list[hub.HubOp]:
    """Every container op assigned to the attribute ``apply`` calls (``self.features`` is
    built in each branch of squeezenet's version test)."""
    callee = apply.args[0].owner
    cls = apply.parent_op()
    while cls is not None and not isinstance(cls, pysrc.ClassOp):
        cls = cls.parent_op()
    if cls is None or not isinstance(callee, pysrc.AttrOp):
        return []
    target = f"self.{callee.attr.data}"
    return [o.value.owner for o in cls.walk() if isinstance(o, pysrc.AssignOp) and o.target.data == target
            and isinstance(o.value.owner, hub.HubOp) and o.value.owner.SPEC_NAME in CONTAINERS]


def _permute_inside(ctor: hub.HubOp, needs: list) -> bool:
    """Rebuild ``ctor`` with a ``Permute`` member wherever the layout its members need
    changes, the hub's (the source's) layout at both ends; False when its members are not
    listed one by one (``*layers``)."""
    layers = ctor.named_args().get("layers", [])
    if len(layers) != len(ctor.args) or any(isinstance(v.owner, pysrc.StarOp) for v in layers):
        return False
    new_ops: list[Operation] = []
    operands: list = []
    current: tuple[str, str | None] | None = None  # None: the hub's layout

    def step(perm_text: str | None) -> None:
        if perm_text:
            dims = make_const(parse_layout(perm_text))
            new_ops.extend(dims)
            op = hub.op_for("Permute").create(operands=[dims[-1].results[0]],
                                              properties={"arg_names": ArrayAttr([StringAttr("dims")])},
                                              result_types=[pysrc.LayerType()])
            new_ops.append(op)
            operands.append(op.res[0])

    for value, need in zip(layers, needs, strict=True):
        if need is not None and (need or None) != current:
            step(current[1] if current else None)  # back to the hub's layout
            current = need or None
            step(current[0] if current else None)
        operands.append(value)
    step(current[1] if current else None)
    rebuilt = type(ctor).create(operands=operands,
                                properties={**ctor.properties,
                                            "arg_names": ArrayAttr([StringAttr("layers")] * len(operands))},
                                result_types=[r.type for r in ctor.res])
    block = ctor.parent_block()
    assert block is not None
    for op in [*new_ops, rebuilt]:
        block.insert_op_before(op, ctor)
    ctor.res[0].replace_all_uses_with(rebuilt.res[0])
    ctor.detach()
    ctor.erase()
    return True


def _keep_marked(op: hub.HubOp, why: str) -> None:
    src_fw = op.src_framework.data if op.src_framework else "torch"
    src_api = op.src_api.data if op.src_api else op.SPEC_NAME
    src_variant = op.spec.variants.get(src_fw)
    renames = src_variant.args if src_variant else {}
    names = ["" if n.data == "layers" else renames.get(n.data, n.data) for n in op.arg_names.data]
    props = {"framework": StringAttr(src_fw), "api": StringAttr(src_api),
             "unmapped": StringAttr(f"{src_api}: {why}"),
             "arg_names": ArrayAttr([StringAttr(n) for n in names])}
    if op.loc is not None:
        props["loc"] = op.loc
    new = fw.CallOp.create(operands=list(op.args), properties=props, result_types=[r.type for r in op.res])
    block = op.parent_block()
    assert block is not None
    block.insert_op_before(new, op)
    op.res[0].replace_all_uses_with(new.results[0])
    op.detach()
    op.erase()
