"""Tensor attributes that compute an op, raised to it: ``w.T``, ``x.mT``.

The frontend types ``x.T`` on a tensor as a tensor when the source framework maps the
attribute (``property:`` on a variant: ``x.T`` is ``permute_dims`` with no axes, reversing
them; ``x.mT`` is ``matrix_transpose``). Left as an attribute it would be copied into the
output, where a TensorFlow or Keras tensor has no ``.T``; raised, each target writes its
own spelling (``tf.transpose(w)``, ``jnp.transpose(w)``).
"""

from __future__ import annotations

from switcheroo.dialects import hub, pysrc
from switcheroo.dialects.pysrc import string, strs
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.analysis_common import statement_loc
from xdsl.ir import Operation


def raise_tensor_properties(module: Operation, frameworks: tuple[str, ...]) -> None:
    """Replace each mapped tensor attribute by the hub op it computes."""
    onto = load_ontology()
    names = onto.property_names(list(frameworks))
    if not names:
        return
    tensor = pysrc.TensorType()
    for attr in pysrc.ops_of(module, pysrc.AttrOp):
        name = attr.attr.data
        if name not in names or attr.obj.type != tensor or attr.result.type != tensor:
            continue
        hit = next(((fwk, found) for fwk in frameworks if (found := onto.lookup_property(fwk, name)) is not None), None)
        if hit is None:
            continue
        fwk, (spec, _variant) = hit
        traits = onto.traits.get(fwk)
        owner = traits.tensor_type if traits is not None and traits.tensor_type else f"{fwk}.Tensor"
        op = hub.op_for(spec.operation).create(
            operands=[attr.obj],
            properties={"arg_names": strs([spec.std_args[0].name]), "src_framework": string(fwk),
                        "src_api": string(f"{owner}.{name}"), "loc": string(statement_loc(attr))},
            result_types=[tensor])
        block = attr.parent_block()
        assert block is not None
        block.insert_op_before(op, attr)
        attr.result.replace_all_uses_with(op.results[0])
        attr.detach()
        attr.erase()
