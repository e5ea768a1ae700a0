"""Argument values a framework spells differently from the hub, converted both ways.

A value table (``arg_values``) maps literals one to one; these plugins (named by a
variant's ``requires_plugin``) compute a value from another convention:

- ``pad_from_last_dim``: torch's ``F.pad`` takes one flat tuple of (before, after) pairs
  starting from the LAST dimension and covering only the trailing dimensions; the hub's
  ``pad_width`` is numpy's, one pair per dimension from the first. Raising a literal
  ``(l, r, t, b)`` gives ``[(0, 0)] * (x.ndim - 2) + [(t, b), (l, r)]``; lowering reverses
  and flattens the pairs (numpy's one pair for every axis is ``(b, a) * x.ndim``).
- ``split_sizes``: ``tf.split`` with a list takes piece sizes; the hub (numpy) takes split
  indices. Sizes raise to their running sums, indices lower to sizes with ``-1`` (the
  rest) last. A count of equal sections means the same on both sides (tf refuses a count
  that does not divide the axis, so torch's ``list(range(n, d, n))`` lowers to ``d // n``).
- ``padding_pairs``: an integer padding per spatial dimension (torch pooling) as the
  (low, high) pairs of ``lax.reduce_window`` (flax ``max_pool``), which pads with the
  reduction's identity (-inf for max), as torch's max pooling does.
- ``ceil_mode_padding``: torch pooling's ``ceil_mode=True`` as ``stride - 1`` more of that
  -inf padding on the high side (exact where ``stride <= kernel - padding``).
- ``momentum_complement``: Keras and flax keep ``momentum`` as the decay of the old
  running average, the hub (torch) as the weight of the new batch statistic: ``1 - m``.
- ``implicit_dim``: torch's softmax family without ``dim`` picks one from the input's rank
  (0 for rank 0, 1 or 3, else 1); the rank is not known where the call is raised, so such
  a call is refused (kept and marked), never read as the hub's ``axis=-1``.
- ``stride_excludes_dilation``: a convolution that takes a stride above 1 or a dilation
  above 1, never both (Keras): both is refused.
- ``output_padding_below_stride``: a transposed convolution whose ``output_padding`` must
  stay below the stride (Keras; torch allows it below the stride or the dilation): a
  larger one is refused.
- ``kernel_covers_stride``: a transposed convolution padded 'VALID' (flax) writes
  ``input * stride`` where the dilated kernel is below the stride, torch ``(input - 1) *
  stride + kernel``: such a layer is refused.
- ``integer_padding``: a convolution target that pads by integers only (MLX): torch's
  ``'valid'`` is 0 and ``'same'`` half the dilated kernel's reach where that reach is even
  (an odd one, an even kernel, pads unevenly in torch, so it is refused).
- ``integer_scale``: an upsampling target that takes an integer factor (Keras
  ``UpSampling2D(size=2)``): torch's ``scale_factor=2.0`` is said as ``2``; a fractional
  or non-literal factor is refused.
- ``torch_cubic``: the target's bicubic kernel is Keys' with a = -0.5 (TensorFlow's
  resize), torch's has a = -0.75: ``mode='bicubic'`` is refused.
- ``expand_sizes``: torch's ``expand``/``broadcast_to`` take ``-1`` for "keep this
  dimension"; raising writes ``x.shape[j - n]`` for each literal ``-1`` and refuses a
  non-literal entry that may be ``-1`` (``passes/expand_sizes.py``).
- ``affine_covers_bias``: torch LayerNorm's ``elementwise_affine=False`` drops the bias as
  well as the scale: raising adds the hub's ``use_bias=False``; lowering refuses a scale-free
  norm that keeps its bias (torch cannot say it).

Anything not literal enough to convert is refused, so the call is kept and marked.
"""

from __future__ import annotations

from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

from switcheroo.dialects import pysrc
from switcheroo.ontology.odl import Variant
from switcheroo.passes import expand_sizes
from switcheroo.passes.compose_lowering import _plain
from switcheroo.passes.fw_common import OBJ, _NO_VALUE, const_value, make_const


class ValueRefusal(Exception):
    """The value cannot be converted; the call is kept, marked."""


def _shown(name: str, value: object) -> str:
    """``name=value`` for a refusal message, or ``a non-literal name`` where the value is
    not known (never the sentinel's repr)."""
    return f"a non-literal {name}" if value is _NO_VALUE else f"{name}={value!r}"


def _binop(lhs: SSAValue, op: str, rhs: SSAValue) -> pysrc.BinOp:
    return pysrc.BinOp.create(operands=[lhs, rhs], properties={"operator": StringAttr(op)}, result_types=[OBJ])


def pure_read(v: SSAValue) -> bool:
    """Whether ``v``'s expression may be printed twice: names, literals, reads of them and
    arithmetic on those (``x.shape[-1] // 2``), never a call."""
    op = v.owner
    if isinstance(op, pysrc.BinOp | pysrc.UnaryOp):
        return all(pure_read(o) for o in op.operands)
    return _plain(v)


def _ndim(x: SSAValue) -> pysrc.AttrOp:
    """``x.ndim``; ``x`` is then printed twice, so it must be a plain read (never a call)."""
    if not pure_read(x):
        raise ValueRefusal("the padded tensor is an expression that would be evaluated twice; "
                           "assign it to a name first")
    return pysrc.AttrOp.create(operands=[x], properties={"attr": StringAttr("ndim")}, result_types=[OBJ])


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _complement(v: SSAValue) -> list[Operation]:
    """``1 - v``, folded when ``v`` is a literal (0.1 -> 0.9, not 0.9000000000000001)."""
    value = const_value(v)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return make_const(round(1 - value, 12))
    if value is None:
        raise ValueRefusal("momentum=None (a cumulative average) has no equivalent")
    one = make_const(1)
    return [*one, _binop(one[-1].results[0], "-", v)]


def _flat_pad_to_width(pad: object, x: SSAValue) -> list[Operation]:
    """torch ``(l, r, t, b)`` -> ``[(0, 0)] * (x.ndim - 2) + [(t, b), (l, r)]``."""
    if not (isinstance(pad, (tuple, list)) and len(pad) % 2 == 0 and pad and all(_is_int(p) for p in pad)):
        raise ValueRefusal(f"{_shown('pad', pad)}: only a literal tuple of (before, after) pairs is converted")
    pairs = [tuple(pad[i:i + 2]) for i in range(0, len(pad), 2)][::-1]
    zero, tail, count = make_const([(0, 0)]), make_const(pairs), make_const(len(pairs))
    ndim = _ndim(x)
    lead = _binop(ndim.results[0], "-", count[-1].results[0])
    rep = _binop(zero[-1].results[0], "*", lead.results[0])
    return [*zero, ndim, *count, lead, rep, *tail, _binop(rep.results[0], "+", tail[-1].results[0])]


def _width_to_flat_pad(width: SSAValue, x: SSAValue) -> list[Operation]:
    """numpy ``pad_width`` -> torch's flat pairs from the last dimension."""
    owner = width.owner
    if isinstance(owner, pysrc.BinOp) and owner.operator.data == "+" and isinstance(owner.lhs.owner, pysrc.BinOp) \
            and const_value(owner.lhs.owner.lhs) in ([(0, 0)], [[0, 0]]):
        width = owner.rhs  # what raising torch's pad built: the trailing pairs are the rhs
        value = const_value(width)
    elif isinstance(owner, pysrc.TupleOp) and owner.elts and all(
            isinstance(p.owner, pysrc.TupleOp) and len(p.owner.elts) == 2 for p in owner.elts) \
            and const_value(width) is _NO_VALUE:
        # ((0, 0), (top, bottom), (left, right), (0, 0)) with names: the same flattening,
        # on the pairs' values.
        pairs = [list(p.owner.elts) for p in owner.elts]
        while len(pairs) > 1 and all(const_value(v) == 0 for v in pairs[0]):
            pairs.pop(0)
        flat = pysrc.TupleOp.create(operands=[v for p in reversed(pairs) for v in p],
                                    properties={"kind": StringAttr("tuple")}, result_types=[OBJ])
        return [flat]
    else:
        value = const_value(width)
        if _is_int(value):
            value = (value, value)
        if isinstance(value, (tuple, list)) and len(value) == 1 and isinstance(value[0], (tuple, list)):
            value = tuple(value[0])
        if isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
            # one (before, after) pair for every axis: repeat it once per dimension
            pair, ndim = make_const(tuple(value)), _ndim(x)
            return [*pair, ndim, _binop(pair[-1].results[0], "*", ndim.results[0])]
    if value is _NO_VALUE or not all(isinstance(p, (tuple, list)) and len(p) == 2 and all(_is_int(v) for v in p)
                                     for p in value):
        raise ValueRefusal("pad_width: only literal (before, after) pairs are converted")
    pairs = list(value)
    while len(pairs) > 1 and tuple(pairs[0]) == (0, 0):
        pairs.pop(0)  # torch pads only the trailing dimensions it is given
    return make_const(tuple(v for p in reversed(pairs) for v in p))


def _range_step(v: SSAValue) -> tuple[SSAValue, SSAValue] | None:
    """(n, d) of ``list(range(n, d, n))``, else None."""
    call = v.owner
    if not (isinstance(call, pysrc.CallOp) and isinstance(call.callee.owner, pysrc.NameOp)
            and call.callee.owner.id.data == "list" and len(call.args) == 1):
        return None
    rng = call.args[0].owner
    if not (isinstance(rng, pysrc.CallOp) and isinstance(rng.callee.owner, pysrc.NameOp)
            and rng.callee.owner.id.data == "range" and len(rng.args) == 3 and rng.args[0] is rng.args[2]):
        return None
    return rng.args[0], rng.args[1]


def _padding_pairs(pad: object, variant: Variant) -> list[Operation]:
    """``1`` -> ``((1, 1), (1, 1))`` for a 2-D layer (the rank from its layout map)."""
    lm = variant.layout_map
    rank = len(lm.args["input"].partition("->")[0]) - 2 if lm and "input" in lm.args else None
    pads = (pad,) * rank if _is_int(pad) and rank else pad
    if not (isinstance(pads, (tuple, list)) and all(_is_int(p) for p in pads) and len(pads) == rank):
        raise ValueRefusal(f"{_shown('padding', pad)}: only literal integer padding is converted")
    return make_const(tuple((p, p) for p in pads))


def _ceil_mode_padding(values: dict[str, SSAValue], variant: Variant) -> list[Operation]:
    """torch's ``ceil_mode=True`` as ``stride - 1`` more padding on the high side: the
    output is ``ceil((n + 2p - k) / s) + 1`` either way, and where ``s <= k - p`` torch's
    rule that a last window start inside the input or its low padding drops none.
    ``values["padding"]`` holds the (low, high) pairs already; ``ceil_mode`` is consumed."""
    ceil = const_value(values.pop("ceil_mode"))
    if ceil is False:
        return []
    lm = variant.layout_map
    rank = len(lm.args["input"].partition("->")[0]) - 2 if lm and "input" in lm.args else 0
    kernel, stride = const_value(values["kernel_size"]), const_value(values.get("stride", values["kernel_size"]))
    pads = const_value(values["padding"]) if "padding" in values else ((0, 0),) * rank
    kernel, stride = ((v,) * rank if _is_int(v) else v for v in (kernel, stride))
    if ceil is not True or not all(isinstance(v, (tuple, list)) and len(v) == rank
                                   and all(isinstance(x, (int, tuple)) for x in v) for v in (kernel, stride, pads)):
        raise ValueRefusal(f"{_shown('ceil_mode', ceil)}: only a literal with literal window, stride and padding is converted")
    if any(s > k - lo for k, s, (lo, _) in zip(kernel, stride, pads, strict=True)):
        raise ValueRefusal("ceil_mode=True with a stride above kernel - padding: a window may start in the padding")
    ops = make_const(tuple((lo, hi + s - 1) for s, (lo, hi) in zip(stride, pads, strict=True)))
    values["padding"] = ops[-1].results[0]
    return ops


def _hw_pairs_to_flat(pad: object) -> tuple[int, int, int, int] | int:
    """Keras ``ZeroPadding2D``: ``1``, ``(h, w)`` or ``((top, bottom), (left, right))`` ->
    the hub's ``1`` or ``(left, right, top, bottom)``."""
    if _is_int(pad):
        return pad
    if isinstance(pad, (tuple, list)) and len(pad) == 2:
        if all(_is_int(p) for p in pad):
            return (pad[1], pad[1], pad[0], pad[0])
        if all(isinstance(p, (tuple, list)) and len(p) == 2 and all(_is_int(q) for q in p) for p in pad):
            return (pad[1][0], pad[1][1], pad[0][0], pad[0][1])
    raise ValueRefusal(f"{_shown('padding', pad)}: only literal integer padding is converted")


def _is_count(value: SSAValue) -> bool:
    """``n // k``: a floor division is a number, never a list of piece sizes."""
    return isinstance(value.owner, pysrc.BinOp) and value.owner.operator.data == "//"


def raise_values(api: str, variant: Variant, names: list[str], values: list[SSAValue],
                 new_ops: list[Operation]) -> None:
    """Framework values of a bound call -> the hub's (in place; ValueRefusal if not)."""
    plugins = variant.requires_plugin
    if "implicit_dim" in plugins and ("axis" not in names or const_value(values[names.index("axis")]) is None):
        raise ValueRefusal("dim=None: torch's implicit dim depends on the input rank (0 for rank 0, 1 or 3, "
                           "else 1); say dim")
    if "affine_covers_bias" in plugins and "use_scale" in names and "use_bias" not in names \
            and const_value(values[names.index("use_scale")]) is False:
        ops = make_const(False)
        new_ops.extend(ops)
        names.append("use_bias")
        values.append(ops[-1].results[0])
    if "expand_sizes" in plugins and "shape" in names:
        # x.expand(b, -1, -1): each -1 as the size it keeps (passes/expand_sizes.py)
        i = names.index("shape")
        try:
            ops = expand_sizes.kept_sizes(values[names.index("x")], values[i], pure_read)
        except expand_sizes.SizeRefusal as e:
            raise ValueRefusal(str(e)) from e
        if ops:
            new_ops.extend(ops)
            values[i] = ops[-1].results[0]
    if "pad_from_last_dim" in plugins and "pad_width" in names:
        i = names.index("pad_width")
        ops = _flat_pad_to_width(const_value(values[i]), values[names.index("x")])
        new_ops.extend(ops)
        values[i] = ops[-1].results[0]
    if "split_sizes" in plugins and "indices_or_sections" in names:
        i = names.index("indices_or_sections")
        sizes = const_value(values[i])
        if isinstance(sizes, (tuple, list)):
            if not all(_is_int(s) for s in sizes) or -1 in sizes[:-1]:
                raise ValueRefusal(f"{api}: sizes {sizes!r}: only literal sizes (a -1 last) are converted")
            ops = make_const([sum(sizes[:k + 1]) for k in range(len(sizes) - 1)])
            new_ops.extend(ops)
            values[i] = ops[-1].results[0]
        elif not _is_int(sizes) and not _is_count(values[i]):
            raise ValueRefusal(f"{api}: a non-literal split may be a count or piece sizes")
    if "hw_padding_pairs" in plugins and "padding" in names:
        i = names.index("padding")
        ops = make_const(_hw_pairs_to_flat(const_value(values[i])))
        new_ops.extend(ops)
        values[i] = ops[-1].results[0]
    if "padding_case" in plugins and "padding" in names:
        i = names.index("padding")
        if isinstance(pad := const_value(values[i]), str) and pad != pad.lower():
            ops = make_const(pad.lower())
            new_ops.extend(ops)
            values[i] = ops[-1].results[0]
    if "momentum_complement" in plugins and "momentum" in names:
        i = names.index("momentum")
        ops = _complement(values[i])
        new_ops.extend(ops)
        values[i] = ops[-1].results[0]


def _entries(v: object) -> list[object]:
    return list(v) if isinstance(v, (tuple, list)) else [v]


def _above_one(v: SSAValue | None) -> bool:
    """Whether a stride or dilation (an int or one per dimension) has an entry above 1; a
    value that is not literal may be, so it counts."""
    if v is None:
        return False
    cv = const_value(v)
    return not all(_is_int(e) and e <= 1 for e in _entries(cv))


def _all_below(lows: object, highs: object, inclusive: bool = False) -> bool:
    """Whether each literal entry of ``lows`` is below (or at, ``inclusive``) its entry of
    ``highs`` (an int applies to every dimension); False where one is not literal."""
    ls, hs = _entries(lows), _entries(highs)
    if not all(_is_int(e) for e in ls + hs):
        return False
    if len(ls) != len(hs):
        ls, hs = (ls * len(hs), hs) if len(ls) == 1 else (ls, hs * len(ls))
    return len(ls) == len(hs) and all(lo < hi or (inclusive and lo == hi) for lo, hi in zip(ls, hs))


def _dilated(kernel: object, dilation: object) -> object:
    """``dilation * (kernel - 1) + 1`` per dimension; None where either is not literal."""
    ks, ds = _entries(kernel), _entries(dilation)
    if not all(_is_int(e) for e in ks + ds):
        return None
    if len(ks) != len(ds):
        ks, ds = (ks * len(ds), ds) if len(ks) == 1 else (ks, ds * len(ks))
    return [d * (k - 1) + 1 for k, d in zip(ks, ds)] if len(ks) == len(ds) else None


def _integer_padding(pad: str, values: dict[str, SSAValue]) -> object:
    """torch's string padding as integers per dimension (one int where all are equal)."""
    if pad == "valid":
        return 0
    kernel = const_value(values["kernel_size"]) if "kernel_size" in values else None
    dilation = const_value(values["dilation"]) if "dilation" in values else 1
    reach = _dilated(kernel, dilation) if pad == "same" else None
    if not reach or any((r - 1) % 2 for r in reach):
        raise ValueRefusal(f"padding={pad!r} has no integer equivalent here: torch pads an even "
                           "(dilated) kernel unevenly")
    pads = [(r - 1) // 2 for r in reach]
    return pads[0] if len(set(pads)) == 1 else tuple(pads)


def lower_values(variant: Variant, values: dict[str, SSAValue]) -> list[Operation]:
    """The hub's values -> the target's (in place), after defaults were settled; returns
    the new ops (ValueRefusal if a value cannot be converted)."""
    plugins = variant.requires_plugin
    new_ops: list[Operation] = []
    if "affine_covers_bias" in plugins and "use_scale" in values and const_value(values["use_scale"]) is False:
        if "use_bias" not in values or const_value(values["use_bias"]) is not False:
            raise ValueRefusal("use_scale=False with a bias: elementwise_affine=False drops the bias too")
        del values["use_bias"]  # elementwise_affine=False says both
    if "stride_excludes_dilation" in plugins and _above_one(values.get("stride")) and _above_one(values.get("dilation")):
        raise ValueRefusal(f"{_shown('stride', const_value(values['stride']))} with "
                           f"{_shown('dilation', const_value(values['dilation']))}: the target takes a stride "
                           "or a dilation, not both")
    if "output_padding_below_stride" in plugins and "output_padding" in values:
        pads, strides = const_value(values["output_padding"]), const_value(values["stride"]) if "stride" in values else 1
        if _NO_VALUE in (pads, strides):
            raise ValueRefusal(f"{_shown('output_padding', pads)} with {_shown('stride', strides)}: the target "
                               "needs output_padding below the stride, which only literals show")
        if not _all_below(pads, strides):
            raise ValueRefusal(f"output_padding={pads!r} has no equivalent: the target needs it below the "
                               f"stride ({strides!r})")
    if "kernel_covers_stride" in plugins and "kernel_size" in values:
        kernel = const_value(values["kernel_size"])
        stride = const_value(values["stride"]) if "stride" in values else 1
        dilation = const_value(values["dilation"]) if "dilation" in values else 1
        if _NO_VALUE in (kernel, stride, dilation):
            raise ValueRefusal(f"{_shown('stride', stride)} with {_shown('kernel_size', kernel)} and "
                               f"{_shown('dilation', dilation)}: the target's output is longer where the stride "
                               "is above the dilated kernel, which only literals show")
        if not _all_below(stride, _dilated(kernel, dilation), inclusive=True):
            raise ValueRefusal(f"stride={stride!r} above the dilated kernel ({kernel!r}): the target's output "
                               "would be longer")
    if "torch_cubic" in plugins and "mode" in values and const_value(values["mode"]) == "bicubic":
        raise ValueRefusal("mode='bicubic': the target's cubic kernel (a = -0.5) is not torch's (a = -0.75)")
    if "integer_scale" in plugins and values.get("scale_factor") is not None:
        factor = const_value(values["scale_factor"])
        factors = factor if isinstance(factor, (tuple, list)) else (factor,)
        if factor is None:
            pass
        elif not all(isinstance(f, (int, float)) and float(f).is_integer() and f >= 1 for f in factors):
            raise ValueRefusal(f"{_shown('scale_factor', factor)}: the target upsamples by whole factors only")
        else:
            whole = tuple(int(f) for f in factors) if isinstance(factor, (tuple, list)) else int(factor)
            new_ops.extend(ops := make_const(whole))
            values["scale_factor"] = ops[-1].results[0]
    if "integer_padding" in plugins and "padding" in values \
            and isinstance(pad := const_value(values["padding"]), str):
        new_ops.extend(ops := make_const(_integer_padding(pad, values)))
        values["padding"] = ops[-1].results[0]
    if "pad_from_last_dim" in plugins and "pad_width" in values:
        new_ops.extend(ops := _width_to_flat_pad(values["pad_width"], values["x"]))
        values["pad_width"] = ops[-1].results[0]
    if "split_sizes" in plugins and "indices_or_sections" in values:
        bounds = const_value(values["indices_or_sections"])
        if isinstance(bounds, (tuple, list)) and all(_is_int(b) for b in bounds):
            sizes = [b - a for a, b in zip([0, *bounds], bounds)] + [-1]
            new_ops.extend(ops := make_const(sizes))
            values["indices_or_sections"] = ops[-1].results[0]
        elif (step := _range_step(values["indices_or_sections"])) is not None:
            # torch.split(x, n) raised as list(range(n, d, n)): d // n equal pieces, and a
            # split that refuses (raises) where n does not divide d, never a wrong piece.
            new_ops.append(count := _binop(step[1], "//", step[0]))
            values["indices_or_sections"] = count.results[0]
        elif not _is_int(bounds):
            raise ValueRefusal("split: only a literal count or literal indices are converted")
    if "padding_pairs" in plugins and "padding" in values:
        new_ops.extend(ops := _padding_pairs(const_value(values["padding"]), variant))
        values["padding"] = ops[-1].results[0]
    if "ceil_mode_padding" in plugins and "ceil_mode" in values:
        new_ops.extend(_ceil_mode_padding(values, variant))
    if "hw_padding_pairs" in plugins and "padding" in values:
        pad = const_value(values["padding"])
        if not _is_int(pad):
            if not (isinstance(pad, (tuple, list)) and len(pad) == 4 and all(_is_int(p) for p in pad)):
                raise ValueRefusal(f"{_shown('padding', pad)}: only literal integer padding is converted")
            pad = ((pad[2], pad[3]), (pad[0], pad[1]))
        new_ops.extend(ops := make_const(pad))
        values["padding"] = ops[-1].results[0]
    if "momentum_complement" in plugins and "momentum" in values:
        new_ops.extend(ops := _complement(values["momentum"]))
        values["momentum"] = ops[-1].results[0]
    return new_ops
