"""Lowering plugins for layers a target has no class for (named by ``requires_plugin``).

- ``global_pool``: a target's global pooling stands for an adaptive pooling layer only when
  ``output_size`` is 1 (or all ones); any other size is refused, so it stays marked.
- ``stride_from_window``: pooling layers whose stride defaults to the window (torch, Keras)
  lowered to a target whose stride defaults to 1 (``nnx.max_pool``): the window is spelled.
- ``explicit_padding``: a convolution target that pads only ``'valid'``/``'same'`` refuses
  an integer padding that ``legalize-for-target`` could not rewrite.
- ``layer_as_partial``: the target spells the layer as a function (``nnx.max_pool``); the
  constructor becomes ``functools.partial(fn, window_shape=..., strides=...)``, which is
  called like the layer was.
"""

from __future__ import annotations

import ast

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import Variant
from switcheroo.passes.fw_common import _NO_VALUE, const_value
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Attribute, Operation, SSAValue

PARTIAL = "functools.partial"


class PluginRefusal(Exception):
    """A plugin's precondition does not hold; the source call is kept, marked."""


def _string_choice(value: SSAValue) -> bool:
    """``"same" if stride == 1 else "valid"`` (kept verbatim): a choice among strings."""
    op = value.owner
    if not isinstance(op, pysrc.OpaqueExprOp):
        return False
    try:
        tree = ast.parse(op.code.data, mode="eval").body
    except SyntaxError:
        return False

    def strings(node: ast.expr) -> bool:
        if isinstance(node, ast.IfExp):
            return strings(node.body) and strings(node.orelse)
        return isinstance(node, ast.Constant) and isinstance(node.value, str)

    return isinstance(tree, ast.IfExp) and strings(tree)


def before_build(variant: Variant, values: dict[str, SSAValue]) -> None:
    """Checks and argument rewrites on the standard arguments, before renaming."""
    if "global_pool" in variant.requires_plugin and "output_size" in values:
        size = const_value(values["output_size"])
        sizes = size if isinstance(size, (tuple, list)) else (size,)
        if not all(s == 1 for s in sizes):
            raise PluginRefusal(f"output_size={size!r}: only global pooling (output size 1) has an equivalent")
    if "explicit_padding" in variant.requires_plugin and "padding" in values:
        pad = const_value(values["padding"])
        if not isinstance(pad, str) and not _string_choice(values["padding"]) and any(p != 0 for p in (pad if isinstance(pad, tuple) else (pad,))):
            shown = f"padding={pad!r}" if pad is not _NO_VALUE else "a non-literal padding"
            raise PluginRefusal(f"{shown}: the target's convolutions pad only 'valid' or 'same'; "
                                "legalize-for-target pads at the call only for a layer held in self and only called")
    if "wrap_layout_free" in variant.requires_plugin and "module" in values:
        # The wrapper's call is not permuted: the wrapped layer must keep the source's layout.
        inner = values["module"].owner
        if isinstance(inner, fw.CallOp) and any(
                v.layout_map for _, v in load_ontology().lookup_api_all(inner.framework.data, inner.api.data)):
            raise PluginRefusal(f"{inner.api.data} works in another layout; wrapping it is not converted yet")
    if "stride_from_window" in variant.requires_plugin and "kernel_size" in values:
        if "stride" not in values or const_value(values["stride"]) is None:
            values["stride"] = values["kernel_size"]


def keyword_only(variant: Variant) -> bool:
    """Every argument by keyword: a partial's positionals would bind the input's slot."""
    return "layer_as_partial" in variant.requires_plugin


def as_partial(variant: Variant, call: fw.CallOp, result_type: Attribute) -> list[Operation]:
    """``fn(a=1)`` -> ``functools.partial(fn, a=1)`` (returns the new ops, last is the result)."""
    if "layer_as_partial" not in variant.requires_plugin:
        return [call]
    ref = fw.RefOp.create(properties={"framework": call.framework, "api": call.api}, result_types=[result_type])
    props = dict(call.properties)
    props["api"] = StringAttr(PARTIAL)
    props["arg_names"] = ArrayAttr([StringAttr(""), *call.arg_names.data])
    wrapped = fw.CallOp.create(operands=[ref.results[0], *call.args], properties=props, result_types=[result_type])
    call.erase()
    return [ref, wrapped]
