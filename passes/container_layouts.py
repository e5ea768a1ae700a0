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
from switcheroo.ontology.odl import LayoutMap, channel_move, parse_layout
from switcheroo.passes.layout_moves import Move
from switcheroo.passes import layer_sources
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.fw_common import target_variant
from switcheroo.passes.sibling_classes import SiblingClass, call_layers, sibling_called
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation

# Layer specs whose result does not depend on the layout of their input (element-wise).
LAYOUT_FREE = frozenset({
    "ReLU", "ReLU6", "GELU", "Sigmoid", "Tanh", "SiLU", "LeakyReLU", "ELU", "SELU", "CELU",
    "Softplus", "Softsign", "Hardswish", "Hardsigmoid", "Hardtanh", "Mish", "LogSigmoid",
    "Dropout", "Identity",
})
CONTAINERS = frozenset({"Sequential"})
# What a norm layer told its channel axis (``channel_axis_follows_layout``) needs beside a
# member of a fixed layout: that layout, as a move of the channel axis at any rank.
CHANNEL_LAST = ("NC...->N...C", "N...C->NC...")


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


def member_layout(member: Operation, framework: str, native: dict[str, tuple[str, str | None]] | None = None
                  ) -> tuple[str, str | None] | None | bool:
    """(input layout, return layout) a member needs; None when it is indifferent; False
    when it is sensitive to layout without declaring one (Flatten, Linear, ...). An
    instance of a module class of the file takes the layout ``native`` gives its class."""
    if native and (cls := _class_called(member)) in native:
        return native[cls]
    if (imported := sibling_called(member)) is not None:
        return _sibling_layout(member, imported, framework)
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


def _sibling_layout(call: Operation, imported: SiblingClass, framework: str) -> tuple[str, str | None] | None | bool:
    """A container class of another file of the project (torchvision's
    ``Conv2dNormActivation``) needs the one layout its layers agree on."""
    layers = call_layers(call, imported) if imported.container else None
    if layers is None:
        return False
    needs = set()
    for spec in layers:
        if spec in LAYOUT_FREE:
            continue
        found = target_variant(load_ontology().specs[spec], framework)
        lm = found[1].layout_map if found else None
        if lm is None or "input" not in lm.args:
            return False
        needs.add((lm.args["input"], lm.return_))
    return needs.pop() if len(needs) == 1 else (None if not needs else False)


def _class_called(member: Operation | None) -> str | None:
    """``Fire`` for a member ``Fire(96, 16, 64, 64)`` (a call of a name), and for
    ``block(...)`` where ``block`` holds that one class of the file on every path."""
    if isinstance(member, pysrc.CallOp) and isinstance(member.callee.owner, pysrc.NameOp):
        held = layer_sources.class_values(member.callee.owner)
        if held is not None and len(held) == 1 and (cls := next(iter(held))) != member.callee.owner.id.data:
            return cls
        return member.callee.owner.id.data
    return None


def native_classes(module: Operation, framework: str) -> dict[str, tuple[str, str | None]]:
    """Module classes of the file that take the target's layout: those whose every instance
    is a member of containers whose layers all want that one layout (squeezenet's ``Fire``
    blocks between convolutions and max pools). Their ``forward`` reads its input through
    the permutation back and permutes its result (``native_layout.native_class``), so the
    container keeps one layout and its members their places (and weight paths)."""
    found = pysrc.ops_of(module, (pysrc.ClassOp, hub.HubOp))  # one walk for both
    classes = {c.sym_name.data for c in found if type(c) is pysrc.ClassOp}
    wants: dict[str, set] = {}
    placed: set[Operation] = set()
    for ctor in [o for o in found if type(o) is not pysrc.ClassOp and o.SPEC_NAME in CONTAINERS]:
        held = members(ctor)
        if None in held:
            continue
        inside = {c for m in held if (c := _class_called(m)) in classes}
        needs = [member_layout(m, framework) for m in held if _class_called(m) not in inside]
        for cls in inside:
            wants.setdefault(cls, set()).update(n if n is not None else "any" for n in needs)
        placed.update(m for m in held if _class_called(m) in inside)
    out: dict[str, tuple[str, str | None]] = {}
    uses = pysrc.ops_of(module, (pysrc.CallOp, pysrc.NameOp)) if wants else []  # nothing changes here
    for cls, wanted in wants.items():
        layouts = wanted - {"any"}
        calls = [o for o in uses if type(o) is pysrc.CallOp and _class_called(o) == cls]
        refs = [o for o in uses if type(o) is pysrc.NameOp and o.id.data == cls]
        if len(layouts) == 1 and False not in layouts and len(refs) == len(calls) \
                and all(c in placed for c in calls):
            out[cls] = layouts.pop()
    return out


def container_layout(apply: hub.ApplyOp, framework: str,
                     native: dict[str, tuple[str, str | None]] | None = None) -> LayoutMap | None:
    """The layout a container's call needs for ``framework``; marks the container's
    constructor unmapped when its members disagree. An attribute assigned a container in
    more than one place (squeezenet builds ``self.features`` per version) needs all of
    them to agree."""
    ctor = constructor_of(apply)
    if not isinstance(ctor, hub.HubOp) or ctor.SPEC_NAME not in CONTAINERS:
        return None
    found: set = set()
    followers: list[tuple[Operation, str]] = []
    for c in [ctor, *(o for o in _assigned_containers(apply) if o is not ctor)]:
        held = members(c)
        if None in held:
            _keep_marked(c, f"the members of this {c.SPEC_NAME} are not known where it is built, so "
                            f"the tensor layout its call needs in {framework} is not known")
            return None
        raw = [member_layout(m, framework, native) for m in held]
        follows = [n is False and _follows_layout(m, framework) for m, n in zip(held, raw)]
        if any(follows):
            # Beside no member of a fixed layout the norm layer keeps its channel axis in
            # the source layout; beside one it takes that layout (BatchNorm1d after Conv1d).
            fixed = any(n and channel_move(n[0]) is None for n in raw)
            raw = [(CHANNEL_LAST if fixed else None) if f else n for f, n in zip(follows, raw)]
        needs = _settle_moves(raw)
        followers += [(m, n[0]) for m, f, n in zip(held, follows, needs) if f and n]
        wanted = {n for n in needs if n}
        if len(wanted) > 1 or (wanted and False in needs):
            _keep_marked(c, f"the members of this {c.SPEC_NAME} need different tensor layouts "
                            f"in {framework}; split it where the layout changes")
            return None
        found.add(wanted.pop() if wanted else None)
    if len(found) > 1:
        for c in [ctor, *_assigned_containers(apply)]:
            if c.parent is not None:
                _keep_marked(c, f"this attribute is assigned containers needing different tensor layouts "
                                f"in {framework}")
        return None
    layout = found.pop()
    if layout is None:
        return None
    for member, taken in followers:
        # read by lower-hub-to-fw: the channel axis is then the last, the target's default
        member.attributes["layout"] = StringAttr(taken)
    inp, ret = layout
    return LayoutMap(args={"input": inp}, **{"return": ret})


def _follows_layout(member: Operation, framework: str) -> bool:
    """Whether ``member``'s target variant is told the channel axis and may take the
    container's channels-last layout instead (``channel_axis_follows_layout``)."""
    spec = layer_sources.layer_spec(member)
    found = target_variant(load_ontology().specs[spec], framework) if spec is not None else None
    return found is not None and "channel_axis_follows_layout" in found[1].requires_plugin


def _settle_moves(needs: list) -> list:
    """Members of any rank (BatchNorm1d's ``NC...->N...C``) among the needs of a container:
    beside members of one fixed layout they take it where their move is that permutation
    at its rank (Conv1d's ``NCL->NLC``); beside members that read the last axis without a
    layout (Linear) they are one of them, right at [N, C], where the move is the identity."""
    moves = [n for n in needs if n and channel_move(n[0]) is not None]
    fixed = {n for n in needs if n and channel_move(n[0]) is None}
    if not moves:
        return needs
    if len(fixed) == 1:
        inp, ret = next(iter(fixed))
        perm = parse_layout(inp)
        agree = {n for n in moves if Move(*channel_move(n[0])).at_rank(len(perm)) == perm}
        return [next(iter(fixed)) if n in agree else n for n in needs]
    if not fixed and False in needs:
        return [False if n in moves else n for n in needs]
    return needs


def _assigned_containers(apply: hub.ApplyOp) -> list[hub.HubOp]:
    """Every container op assigned to the attribute ``apply`` calls."""
    callee = apply.args[0].owner
    cls = apply.parent_op()
    while cls is not None and not isinstance(cls, pysrc.ClassOp):
        cls = cls.parent_op()
    if cls is None or not isinstance(callee, pysrc.AttrOp):
        return []
    target = f"self.{callee.attr.data}"
    return [o.value.owner for o in cls.walk() if isinstance(o, pysrc.AssignOp) and o.target.data == target
            and isinstance(o.value.owner, hub.HubOp) and o.value.owner.SPEC_NAME in CONTAINERS]


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
