"""The ``stablehlo`` dialect on xDSL: the ops JAX, Flax, Keras and TensorFlow emit.

Ops live in per-family files (elementwise, shape, compute, control) and print in the
syntax of the StableHLO C++ dialect, pretty where it has one, generic elsewhere, so our
output is accepted by jaxlib's own parser. Spec: https://openxla.org/stablehlo/spec
"""

from __future__ import annotations

from switcheroo.dialects.stablehlo_attrs import STABLEHLO_ATTRS
from switcheroo.dialects.stablehlo_compute import COMPUTE_OPS
from switcheroo.dialects.stablehlo_control import CONTROL_OPS
from switcheroo.dialects.stablehlo_elementwise import ELEMENTWISE_OPS
from switcheroo.dialects.stablehlo_reduce import REDUCE_OPS
from switcheroo.dialects.stablehlo_shape import SHAPE_OPS
from xdsl.ir import Dialect, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import irdl_attr_definition


@irdl_attr_definition
class TokenType(ParametrizedAttribute, TypeAttribute):
    """Orders side-effecting ops (``!stablehlo.token``)."""

    name = "stablehlo.token"


STABLEHLO_OPS = sorted(
    [*ELEMENTWISE_OPS, *SHAPE_OPS, *COMPUTE_OPS, *REDUCE_OPS, *CONTROL_OPS], key=lambda op: op.name
)

STABLEHLO = Dialect("stablehlo", STABLEHLO_OPS, [*STABLEHLO_ATTRS, TokenType])
