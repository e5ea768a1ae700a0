"""Arguments a mapping leaves out of the target's call: ``inferred_args`` go whatever their
value; a ``drop_args`` argument without a default goes only where something reads it, else
the call is kept, marked (issues #3, #6)."""

from __future__ import annotations

import numpy as np
import pytest
from switcheroo.ontology.odl import OpSpec, StdArg, Variant
from switcheroo.ontology.verify.calls import NotApplicable, build_plan, render_call

from tests.python.helpers import convert

X = np.arange(6, dtype=np.float32).reshape(2, 3)
SHIFT = OpSpec(operation="shift", std_args=[StdArg(name="x"), StdArg(name="n", type="int")])


def plan(variant: dict, example: dict):
    return build_plan(SHIFT, "numpy", Variant(**variant), example)


def test_required_argument_dropped_unread_is_not_applicable():
    with pytest.raises(NotApplicable, match="n has no numpy.negative equivalent"):
        plan({"api": "numpy.negative", "drop_args": ["n"]}, {"x": X, "n": 2})


def test_inferred_and_read_arguments_are_dropped():
    assert render_call(plan({"api": "numpy.negative", "inferred_args": ["n"]}, {"x": X, "n": 2})) \
        == "numpy.negative(x)"
    rules = [{"if_arg": "n", "op": "eq", "value": 2, "use_api": "numpy.square"}]
    read = plan({"api": "numpy.negative", "drop_args": ["n"], "dispatch_rules": rules}, {"x": X, "n": 2})
    assert render_call(read) == "numpy.square(x)"


def test_dropped_argument_kept_only_at_the_targets_value():
    v = {"api": "numpy.negative", "drop_args": ["n"], "defaults": {"n": 2}}
    assert render_call(plan(v, {"x": X, "n": 2})) == "numpy.negative(x)"
    with pytest.raises(NotApplicable, match="n=3"):
        plan(v, {"x": X, "n": 3})


CTC = """\
import torch.nn.functional as F


def loss(log_probs, targets, input_lengths, target_lengths):
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths)
"""


@pytest.mark.parametrize("dst", ["jax", "keras", "tensorflow"])
def test_ctc_loss_is_kept_not_called_without_its_inputs(dst):
    code, report = convert(CTC, "torch", dst)
    assert "# swc: unmapped torch.nn.functional.ctc_loss" in code
    assert any("log_probs has no" in d.message for d in report.diagnostics)


TRUNC = """\
import mlx.core as mx


def sample():
    a = mx.random.truncated_normal(-2.0, 2.0, (3, 4))
    b = mx.random.truncated_normal(-1.0, 1.0, (3, 4))
    return a, b
"""


@pytest.mark.parametrize(("dst", "api"), [("keras", "keras.random.truncated_normal"),
                                           ("tensorflow", "tf.random.truncated_normal")])
def test_truncated_normal_only_at_two_standard_deviations(dst, api):
    code, report = convert(TRUNC, "mlx", dst)
    assert f"a = {api}((3, 4))" in code
    assert "# swc: unmapped mlx.core.random.truncated_normal" in code
    assert any("lower=-1.0" in d.message for d in report.diagnostics)


POOL = """\
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.bins = nn.AdaptiveAvgPool2d(3)
"""


def test_paxml_global_pooling_only_for_output_size_one():
    code, report = convert(POOL, "torch", "paxml")
    assert "'pool', pax_fiddle.Config(praxis_layers.GlobalPooling, pooling_type='AVG')" in code
    assert "# swc: unmapped torch.nn.AdaptiveAvgPool2d" in code
    assert any("output_size=3" in d.message for d in report.diagnostics)
