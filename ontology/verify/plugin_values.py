"""The conversion's value plugins, run on drawn literals, so a verified call is the one written.

``lower-hub-to-fw`` spells some arguments through plugins named by a variant's
``requires_plugin``: ``layer_plugins.before_build`` on the standard arguments as given
(``stride_from_window``, the ``global_pool`` check), then, once defaults and dropped
arguments are settled, ``value_plugins.lower_values`` (``padding_pairs``,
``ceil_mode_padding``, ``split_sizes``, ...) and ``window_tuples`` (``kernel_size_tuple``).
Here the very same functions run on the drawn values made into constants, and the values
are read back. Tensors stand in as names, so a plugin that only reads them works; one that
spells a value as an expression over a tensor (``x.ndim``) is not evaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from switcheroo.dialects import pysrc
from switcheroo.ontology.odl import Variant
from switcheroo.passes import layer_plugins, value_plugins
from switcheroo.passes.fw_common import _NO_VALUE, OBJ, const_value, make_const
from switcheroo.passes.lower_hub_to_fw import Unlowerable, window_tuples
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import SSAValue


class Refused(ValueError):
    """A plugin refuses the value: the conversion keeps the source call."""


class NotLiteral(ValueError):
    """A plugin spells the value as an expression over a tensor, which is not evaluated here."""


def _literal(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return False
    if isinstance(value, list | tuple):
        return all(_literal(v) for v in value)
    return value is None or isinstance(value, bool | int | float | str)


def _run(variant: Variant, values: dict[str, Any], step: Callable[[Variant, dict[str, SSAValue]], object]
         ) -> dict[str, Any]:
    if not variant.requires_plugin:
        return values
    ssa: dict[str, SSAValue] = {}
    for n, v in values.items():
        if _literal(v):
            ssa[n] = make_const(v)[-1].results[0]
        else:  # a tensor, a dtype: a name the plugins may read
            ssa[n] = pysrc.NameOp.create(properties={"id": StringAttr(n)}, result_types=[OBJ]).results[0]
    given = dict(ssa)
    try:
        step(variant, ssa)
    except (layer_plugins.PluginRefusal, value_plugins.ValueRefusal, Unlowerable) as e:
        raise Refused(str(e)) from e
    out: dict[str, Any] = {}
    for n, v in ssa.items():
        if given.get(n) is v:
            out[n] = values[n]
        elif (value := const_value(v)) is not _NO_VALUE:
            out[n] = value
        else:
            raise NotLiteral(f"{variant.api}: a plugin spells {n} as an expression over a tensor, "
                             "which the verifier does not evaluate")
    return out


def before_build(variant: Variant, values: dict[str, Any]) -> dict[str, Any]:
    """The standard arguments as drawn, after ``layer_plugins.before_build``."""
    return _run(variant, values, layer_plugins.before_build)


def _lower(variant: Variant, ssa: dict[str, SSAValue]) -> None:
    value_plugins.lower_values(variant, ssa)
    window_tuples(variant, ssa)


def lower(variant: Variant, values: dict[str, Any]) -> dict[str, Any]:
    """The converted values (defaults settled), as the target's value plugins spell them."""
    return _run(variant, values, _lower)
