"""Raising a layer whose constructor selects what its calls return.

Keras builds an LSTM that returns its final states with ``return_state=True``: the
variant's call form says so (``build_with: {return_state: true}``, returns ``[output,
h_n, c_n]``). Lowering passes such arguments for the form ``adapt-layer-calls`` chose
(``swc.build_with``); raising reads them back: ``raise-fw-to-hub`` binds the constructor
without them and records them on the hub op as ``swc.source_build_with``, and
``adapt-layer-calls`` reads the layer's calls in that form of the source:

    self.lstm = layers.LSTM(8, return_sequences=True, return_state=True)
    _, h, _ = self.lstm(x)      # torch: _, (h, _) = self.lstm(x), h_n with its layer axis
"""

from __future__ import annotations

import ast
from typing import Any

from switcheroo.dialects import fw
from switcheroo.ontology.odl import CallForm, Variant
from switcheroo.passes.fw_common import const_value, values_equal
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation

SOURCE_BUILD_WITH = "swc.source_build_with"


def built_form(variant: Variant, call: fw.CallOp) -> dict[str, Any]:
    """The ``build_with`` arguments of the variant's call form that ``call`` passes, with
    the form's values (empty when it passes none)."""
    if variant.call is None:
        return {}
    given = {n.data: v for n, v in zip(call.arg_names.data, call.args) if n.data}
    for form in variant.call.forms:
        if form.build_with and all(k in given and values_equal(const_value(given[k]), v)
                                   for k, v in form.build_with.items()):
            return dict(form.build_with)
    return {}


def record_source_form(new: Operation, variant: Variant, call: fw.CallOp) -> None:
    """Record on the raised layer ``new`` the form its constructor call selected."""
    if chosen := built_form(variant, call):
        new.attributes[SOURCE_BUILD_WITH] = StringAttr(repr(chosen))


def source_form(options: list[CallForm], ctor: Operation | None) -> CallForm | None:
    """The source's form its layer constructor selected, if it recorded one."""
    attr = ctor.attributes.get(SOURCE_BUILD_WITH) if ctor is not None else None
    if not isinstance(attr, StringAttr):
        return None
    chosen = ast.literal_eval(attr.data)
    return next((f for f in options if f.build_with == chosen), None)
