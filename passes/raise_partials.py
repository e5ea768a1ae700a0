"""Raise ``functools.partial(fn, **args)`` back to the layer it stands for.

Lowering spells a layer the target has only as a function through ``layer_as_partial``
(``nn.MaxPool2d(2)`` -> ``functools.partial(nnx.max_pool, window_shape=(2, 2), strides=(2,
2))``). Raising reads the same data backwards: a partial of an API that a layer spec's
variant spells with ``layer_as_partial`` is bound as that layer's constructor; injected
arguments must agree (``jnp.mean`` with ``axis=[2, 3], keepdims=True`` is global pooling),
and a ``global_pool`` layer's output size is 1.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.passes.fw_common import make_const

PLUGIN = "layer_as_partial"


def _is_partial(callee: object) -> bool:
    if isinstance(callee, pysrc.AttrOp):
        recv = callee.obj.owner
        return callee.attr.data == "partial" and isinstance(recv, pysrc.NameOp) and recv.id.data == "functools"
    return isinstance(callee, pysrc.NameOp) and callee.id.data == "partial"


def _layer_variants(frameworks: tuple[str, ...], api: str) -> list[tuple[OpSpec, str, Variant]]:
    out = []
    for spec in load_ontology().specs.values():
        if spec.kind.value != "layer":
            continue
        for fwk in frameworks:
            var = spec.variants.get(fwk)
            if var is not None and var.api == api and PLUGIN in var.requires_plugin:
                out.append((spec, fwk, var))
                break
    return out


def raise_partials(module: builtin.ModuleOp, frameworks: tuple[str, ...], bind: Callable, unmappable: type) -> None:
    """Rewrite each ``functools.partial`` of a layer's function into the hub layer op."""
    for call in pysrc.ops_of(module, pysrc.CallOp):
        if not call.args or not _is_partial(call.callee.owner):
            continue
        ref = call.args[0].owner
        if not (isinstance(ref, fw.RefOp) and ref.framework.data in frameworks and ref.unmapped is None):
            continue
        fn_call = fw.CallOp.create(
            operands=list(call.args[1:]),
            properties={"framework": ref.framework, "api": ref.api,
                        "arg_names": ArrayAttr(list(call.arg_names.data[1:])),
                        **({"loc": ref.loc} if ref.loc is not None else {})},
            result_types=[call.result.type])
        for spec, fwk, variant in _layer_variants(frameworks, ref.api.data):
            try:
                b = bind(spec, variant, fwk, fn_call)
            except unmappable:
                continue
            names, values, new_ops = list(b.names), list(b.values), list(b.new_ops)
            if "global_pool" in variant.requires_plugin and spec.arg("output_size") and "output_size" not in names:
                one = make_const(1)
                new_ops += one
                names.insert(0, "output_size")
                values.insert(0, one[-1].results[0])
            props = {"arg_names": ArrayAttr([StringAttr(n) for n in names]),
                     "src_framework": StringAttr(fwk), "src_api": ref.api}
            if ref.loc is not None:
                props["loc"] = ref.loc
            layer = hub.op_for(spec.operation).create(operands=values, properties=props,
                                                      result_types=[call.result.type])
            block = call.parent_block()
            assert block is not None
            for op in (*new_ops, layer):
                if op.parent is None:
                    block.insert_op_before(op, call)
            call.result.replace_all_uses_with(layer.res[0])
            call.detach()
            call.erase()
            if not ref.result.uses:
                ref.detach()
                ref.erase()
            break
        fn_call.erase()
