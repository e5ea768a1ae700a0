"""Layer arguments a target configures as other fields (praxis's dataclass layers).

Plugins a variant names in ``requires_plugin``, run by ``lower-hub-to-fw`` once the hub
op's values are settled (defaults made explicit, drops checked):

- ``filter_shape``: one ``filter_shape`` field for the kernel and both channel counts,
  ``(kh, kw, in_channels, out_channels)`` (praxis ``Conv2D``/``Conv1D``), and the integer
  padding as the padding name it equals: ``'VALID'`` for 0, ``'SAME'`` where it pads as
  jax's SAME does (stride 1, dilation 1, odd kernel, padding ``k // 2``); any other
  padding is refused, so the layer is kept, marked.
- ``padding_name``: the same padding names alone, for a pooling layer (max pooling pads
  with -inf in torch and in jax's SAME alike).
- ``rate_complement``: a dropout ``rate`` kept as the probability of keeping a unit,
  ``1 - rate`` (praxis ``keep_prob``), folded when literal.
- ``keyword_args``: every argument by keyword (praxis layers are configured by named
  fields: ``Linear(input_dims=16, output_dims=10)``).

A value too dynamic to convert is refused (``BuildRefusal``): the source call is kept.
"""

from __future__ import annotations

from switcheroo.dialects import pysrc
from switcheroo.ontology.odl import Variant
from switcheroo.passes.fw_common import _NO_VALUE, OBJ, const_value, make_const
from switcheroo.passes.layer_build import BuildRefusal
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

FILTER_PARTS = ("kernel_size", "in_channels", "out_channels")


def keyword_only(variant: Variant) -> bool:
    """The target takes every argument by keyword."""
    return "keyword_args" in variant.requires_plugin


def _per_dim(name: str, value: object, rank: int) -> tuple[int, ...]:
    """An int or a tuple of ints as one int per spatial dimension."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * rank
    if isinstance(value, (tuple, list)) and len(value) == rank and all(isinstance(v, int) for v in value):
        return tuple(value)
    shown = "a non-literal" if value is _NO_VALUE else repr(value)
    raise BuildRefusal(f"{name}={shown}: only literal sizes are converted")


def _padding_name(values: dict[str, SSAValue], kernel: tuple[int, ...], rank: int) -> str:
    """torch's integer padding as 'VALID' or 'SAME', where it pads the same way."""
    given = const_value(values["padding"]) if "padding" in values else 0
    if isinstance(given, str) and given.lower() in ("same", "valid"):
        return given.upper()  # torch's 'same' pads as jax's SAME (the odd one on the high side)
    padding = _per_dim("padding", const_value(values["padding"]), rank) if "padding" in values else (0,) * rank
    if all(p == 0 for p in padding):
        return "VALID"
    stride = _per_dim("stride", const_value(values["stride"]), rank) if "stride" in values else (1,) * rank
    dilation = _per_dim("dilation", const_value(values["dilation"]), rank) if "dilation" in values else (1,) * rank
    if all(s == 1 for s in stride) and all(d == 1 for d in dilation) \
            and all(k % 2 == 1 and p == k // 2 for k, p in zip(kernel, padding, strict=True)):
        return "SAME"
    raise BuildRefusal(f"padding={padding!r} with kernel {kernel!r} and stride {stride!r} is neither 'SAME' nor "
                       "'VALID'")


def _say_padding(values: dict[str, SSAValue], padding: str) -> list[Operation]:
    """``padding`` as the name, left out where it is praxis's default ('SAME')."""
    if padding == "SAME":
        values.pop("padding", None)
        return []
    ops = make_const(padding)
    values["padding"] = ops[-1].results[0]
    return ops


def lower_fields(variant: Variant, values: dict[str, SSAValue], rank: int
                 ) -> tuple[list[Operation], list[tuple[str, SSAValue]]]:
    """Convert ``values`` in place for the variant's plugins; returns new ops and the fields
    they add (``filter_shape``)."""
    plugins = variant.requires_plugin
    new_ops: list[Operation] = []
    fields: list[tuple[str, SSAValue]] = []
    if "rate_complement" in plugins and "rate" in values:
        rate = const_value(values["rate"])
        if isinstance(rate, (int, float)) and not isinstance(rate, bool):
            new_ops.extend(ops := make_const(round(1 - rate, 12)))  # 0.1 -> 0.9, not 0.9000000000000001
        else:
            one = make_const(1)
            ops = [*one, pysrc.BinOp.create(operands=[one[-1].results[0], values["rate"]],
                                           properties={"operator": StringAttr("-")}, result_types=[OBJ])]
            new_ops.extend(ops)
        values["rate"] = ops[-1].results[0]
    if "padding_name" in plugins and "kernel_size" in values:
        kernel = _per_dim("kernel_size", const_value(values["kernel_size"]), rank)
        new_ops.extend(_say_padding(values, _padding_name(values, kernel, rank)))
    if "filter_shape" in plugins and all(p in values for p in FILTER_PARTS):
        kernel = _per_dim("kernel_size", const_value(values["kernel_size"]), rank)
        padding = _padding_name(values, kernel, rank)
        parts: list[SSAValue] = []
        for size in kernel:
            new_ops.extend(ops := make_const(size))
            parts.append(ops[-1].results[0])
        parts += [values.pop("in_channels"), values.pop("out_channels")]
        values.pop("kernel_size")
        shape = pysrc.TupleOp.create(operands=parts, properties={"kind": StringAttr("tuple")}, result_types=[OBJ])
        new_ops.append(shape)
        fields.append(("filter_shape", shape.results[0]))
        new_ops.extend(_say_padding(values, padding))
        for n in ("stride", "dilation"):
            if rank > 1 and n in values and isinstance(v := const_value(values[n]), int) and not isinstance(v, bool):
                new_ops.extend(ops := make_const((v,) * rank))  # Conv2D takes one per dimension
                values[n] = ops[-1].results[0]
    return new_ops, fields
