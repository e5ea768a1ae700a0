"""``legalize-for-target{framework=keras}``: hub rewrites that let a target express a use.

Each rewrite is framework-neutral (hub -> hub); whether it is needed is read from the
ontology: the target's variant names a plugin, or the target has no variant at all.

- ``explicit_padding`` (Keras convolutions take only ``'valid'``/``'same'``): an integer
  padding that equals ``'same'`` (stride 1, dilation 1, odd kernel, pad = k // 2 on every
  side) is spelled ``'same'``; any other becomes ``hub.pad`` of the layer's input at each
  call (``ZeroPadding2D`` in function form) with padding 0 in the constructor — only when
  the layer is held in ``self.X`` and every use of it is such a call. Otherwise it is left,
  and lowering keeps the constructor as its source API, marked.
- ``AdaptiveAvgPool2d(output_size=(a, b))`` where the target pools only globally: the
  functional adaptive pooling at each call, else a mean over equal bins (see
  ``legalize_adaptive_pool``).
- ``flatten_dims(x, start_dim=s)`` with no target spelling: ``reshape(x, (x.shape[0], ...,
  x.shape[s - 1], -1))``, the same row-major order as the source's flatten.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from switcheroo.dialects import hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.fw_common import OBJ, _NO_VALUE, const_value, make_const, target_variant

PADDING_PLUGIN = "explicit_padding"


def _per_dim(value: object, rank: int) -> tuple | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (value,) * rank
    if isinstance(value, tuple) and len(value) == rank and all(isinstance(v, int) for v in value):
        return value
    return None


def _const_arg(op: hub.HubOp, name: str, default: object) -> object:
    named = op.named_args()
    return const_value(named[name][0]) if name in named else default


def _hub(spec: str, names: list[str], values: list[SSAValue], result_type=OBJ) -> Operation:
    return hub.op_for(spec).create(
        operands=values, properties={"arg_names": ArrayAttr([StringAttr(n) for n in names])},
        result_types=[result_type])


def _replace_arg(op: hub.HubOp, name: str, value: object) -> None:
    """Set the constant argument ``name`` of ``op`` (the old constant stays for DCE-free reuse)."""
    consts = make_const(value)
    block = op.parent_block()
    assert block is not None
    for c in consts:
        block.insert_op_before(c, op)
    names = [n.data for n in op.arg_names.data]
    op.operands = [consts[-1].results[0] if n == name else v for n, v in zip(names, op.args)]


def _spatial_rank(variant) -> int | None:
    lm = variant.layout_map
    if lm is None or "input" not in lm.args:
        return None
    return len(lm.args["input"].partition("->")[0]) - 2


def _self_attr_uses(ctor: hub.HubOp) -> list[hub.ApplyOp] | None:
    """The calls of the layer ``ctor`` builds, when it is ``self.X`` and only ever called."""
    uses = list(ctor.res[0].uses)
    if len(uses) != 1 or not isinstance(uses[0].operation, pysrc.AssignOp):
        return None
    target = uses[0].operation.target.data
    if not target.startswith("self."):
        return None
    cls = ctor.parent_op()
    while cls is not None and not isinstance(cls, pysrc.ClassOp):
        cls = cls.parent_op()
    if cls is None:
        return None
    applies: list[hub.ApplyOp] = []
    for op in cls.walk():
        if isinstance(op, pysrc.AssignOp) and op.target.data == target and op is not uses[0].operation:
            return None  # assigned twice: which layer a call meets is not known
        if not (isinstance(op, pysrc.AttrOp) and f"self.{op.attr.data}" == target
                and isinstance(op.obj.owner, pysrc.NameOp) and op.obj.owner.id.data == "self"):
            continue
        for use in op.result.uses:
            if not (isinstance(use.operation, hub.ApplyOp) and use.index == 0 and len(use.operation.args) == 2):
                return None
            applies.append(use.operation)
    return applies


def legalize_padding(ctor: hub.HubOp, framework: str) -> None:
    found = target_variant(ctor.spec, framework)
    if found is None or PADDING_PLUGIN not in found[1].requires_plugin:
        return
    rank = _spatial_rank(found[1])
    if rank is None:
        return
    pad = _per_dim(_const_arg(ctor, "padding", 0), rank)
    if pad is None or not any(pad):
        return
    kernel = _per_dim(_const_arg(ctor, "kernel_size", _NO_VALUE), rank)
    stride = _per_dim(_const_arg(ctor, "stride", 1), rank)
    dilation = _per_dim(_const_arg(ctor, "dilation", 1), rank)
    if kernel and stride == (1,) * rank and dilation == (1,) * rank \
            and all(k % 2 == 1 and p == k // 2 for k, p in zip(kernel, pad)):
        _replace_arg(ctor, "padding", "same")
        return
    applies = _self_attr_uses(ctor)
    if not applies:
        return  # lowering refuses the integer padding and keeps the source call, marked
    for apply in applies:
        widths = make_const(((0, 0), (0, 0), *((p, p) for p in pad)))
        padded = _hub("pad", ["x", "pad_width"], [apply.args[1], widths[-1].results[0]], apply.args[1].type)
        block = apply.parent_block()
        assert block is not None
        for op in (*widths, padded):
            block.insert_op_before(op, apply)
        apply.operands = [apply.args[0], padded.res[0]]
    # The input is padded now: the constructor keeps the target's own default ('valid').
    keep = [(n, v) for n, v in zip(ctor.arg_names.data, ctor.args) if n.data != "padding"]
    ctor.operands = [v for _, v in keep]
    ctor.properties["arg_names"] = ArrayAttr([n for n, _ in keep])


def legalize_flatten(op: hub.HubOp, framework: str) -> None:
    onto = load_ontology()
    if target_variant(op.spec, framework) is not None or target_variant(onto.specs["reshape"], framework) is None:
        return
    start, end = _const_arg(op, "start_dim", 0), _const_arg(op, "end_dim", -1)
    if not isinstance(start, int) or isinstance(start, bool) or start < 0 or end != -1:
        return  # left as it is: lowering keeps it marked
    x = op.named_args()["x"][0]
    new_ops: list[Operation] = []
    dims: list[SSAValue] = []
    for i in range(start):
        shape = pysrc.AttrOp.create(operands=[x], properties={"attr": StringAttr("shape")}, result_types=[OBJ])
        idx = make_const(i)
        dim = pysrc.SubscriptOp.create(operands=[shape.results[0], idx[-1].results[0]], result_types=[OBJ])
        new_ops += [shape, *idx, dim]
        dims.append(dim.results[0])
    minus_one = make_const(-1)
    new_ops += minus_one
    tup = pysrc.TupleOp.create(operands=[*dims, minus_one[-1].results[0]], properties={"kind": StringAttr("tuple")},
                               result_types=[OBJ])
    reshaped = _hub("reshape", ["x", "shape"], [x, tup.results[0]], op.res[0].type)
    for name in ("src_framework", "src_api", "loc"):
        if name in op.properties:
            reshaped.properties[name] = op.properties[name]
    block = op.parent_block()
    assert block is not None
    for new in (*new_ops, tup, reshaped):
        block.insert_op_before(new, op)
    op.res[0].replace_all_uses_with(reshaped.res[0])
    op.detach()
    op.erase()


def _replace_call(apply: hub.ApplyOp, new_ops: list[Operation], result: Operation) -> None:
    """Insert ``new_ops`` before the layer call ``apply``, which ``result`` replaces."""
    block = apply.parent_block()
    assert block is not None
    for op in new_ops:
        block.insert_op_before(op, apply)
    apply.res[0].replace_all_uses_with(result.res[0])
    callee = apply.args[0].owner
    apply.detach()
    apply.erase()
    if isinstance(callee, pysrc.AttrOp) and not callee.result.uses:
        callee.detach()
        callee.erase()


def legalize_adaptive_pool(ctor: hub.HubOp, framework: str) -> None:
    """AdaptiveAvgPool2d(output_size=(a, b)) where the target has only global pooling: each
    call becomes the functional ``adaptive_avg_pool2d(x, (a, b))`` where the target spells
    it (torch's bins for every size); else it averages equal bins, ``mean(reshape(x, (N, C,
    a, H // a, b, W // b)), (3, 5))`` — torch's bins when a divides H and b divides W;
    otherwise the reshape fails at run time (never a silently different result)."""
    found = target_variant(ctor.spec, framework)
    if found is None or "global_pool" not in found[1].requires_plugin:
        return
    size = _const_arg(ctor, "output_size", _NO_VALUE)
    sizes = size if isinstance(size, tuple) else (size, size)
    if len(sizes) != 2 or not all(isinstance(s, int) and not isinstance(s, bool) for s in sizes) \
            or sizes == (1, 1):
        return
    applies = _self_attr_uses(ctor)
    if not applies:
        return
    general = target_variant(load_ontology().specs["adaptive_avg_pool2d"], framework) is not None
    for apply in applies:
        x = apply.args[1]
        if general:  # the target's functional pooling computes torch's bins for every size
            size_const = make_const(sizes[0] if sizes[0] == sizes[1] else sizes)  # 7, not (7, 7)
            pooled = _hub("adaptive_avg_pool2d", ["x", "output_size"], [x, size_const[-1].results[0]],
                          apply.res[0].type)
            _replace_call(apply, [*size_const, pooled], pooled)
            continue
        new_ops: list[Operation] = []
        dims: list[SSAValue] = []
        for axis, out in ((0, None), (1, None), (2, sizes[0]), (3, sizes[1])):
            shape = pysrc.AttrOp.create(operands=[x], properties={"attr": StringAttr("shape")}, result_types=[OBJ])
            idx = make_const(axis)
            dim = pysrc.SubscriptOp.create(operands=[shape.results[0], idx[-1].results[0]], result_types=[OBJ])
            new_ops += [shape, *idx, dim]
            if out is None:
                dims.append(dim.results[0])
                continue
            bins = make_const(out)
            width = pysrc.BinOp.create(operands=[dim.results[0], bins[-1].results[0]],
                                       properties={"operator": StringAttr("//")}, result_types=[OBJ])
            again = make_const(out)
            new_ops += [*bins, width, *again]
            dims += [again[-1].results[0], width.results[0]]
        tup = pysrc.TupleOp.create(operands=dims, properties={"kind": StringAttr("tuple")}, result_types=[OBJ])
        reshaped = _hub("reshape", ["x", "shape"], [x, tup.results[0]], x.type)
        axes = make_const((3, 5))
        mean = _hub("mean", ["x", "axis"], [reshaped.res[0], axes[-1].results[0]], apply.res[0].type)
        _replace_call(apply, [*new_ops, tup, reshaped, *axes, mean], mean)
    assign = next(iter(ctor.res[0].uses)).operation
    assign.detach()
    assign.erase()  # the layer holds no state: nothing calls it any more
    ctor.detach()
    ctor.erase()


@dataclass(frozen=True)
class LegalizeForTarget(ModulePass):
    """Rewrite hub uses the target cannot spell into ones it can (see module docstring)."""

    name = "legalize-for-target"
    framework: str = "keras"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        for inner in pysrc.ops_of(op, hub.HubOp):
            if inner.parent is None:
                continue
            if inner.spec.kind.value == "layer":
                legalize_padding(inner, self.framework)
                if inner.SPEC_NAME == "AdaptiveAvgPool2d":
                    legalize_adaptive_pool(inner, self.framework)
            elif inner.SPEC_NAME == "flatten_dims":
                legalize_flatten(inner, self.framework)
