"""The verifier runs the conversion's value plugins, so the call it checks is the one written."""

from __future__ import annotations

import numpy as np
import pytest
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.verify.calls import NotApplicable, build_plan, render_call

X = np.zeros((1, 2, 4, 4), dtype=np.float32)


def _plan(op: str, fw: str, example: dict):
    spec = load_ontology().specs[op]
    return build_plan(spec, fw, spec.variants[fw], example)


def test_pool_window_stride_and_padding_spelled_as_lowering_does():
    # kernel_size_tuple, stride_from_window and padding_pairs: nnx.max_pool takes one entry
    # per spatial dim, a stride defaulting to 1 and (low, high) padding pairs.
    plan = _plan("max_pool2d", "flax_nnx", {"input": X, "kernel_size": 2, "padding": 1})
    assert plan.kwargs["window_shape"] == (2, 2)
    assert plan.kwargs["strides"] == (2, 2)
    assert plan.kwargs["padding"] == ((1, 1), (1, 1))


def test_ceil_mode_becomes_high_padding():
    plan = _plan("max_pool2d", "flax_nnx", {"input": X, "kernel_size": 2, "ceil_mode": True})
    assert "ceil_mode" not in plan.kwargs
    assert plan.kwargs["padding"] == ((0, 1), (0, 1))


def test_a_plugin_refusal_is_a_kept_call():
    # global_pool: the mean is adaptive pooling to size 1 only; an int or tuple size takes
    # the composed bins (a dispatch rule), and any other value is refused, the call kept.
    with pytest.raises(NotApplicable, match="only global pooling"):
        _plan("adaptive_avg_pool2d", "jax", {"x": X, "output_size": [2, 2]})
    assert "jax.numpy.stack" in render_call(_plan("adaptive_avg_pool2d", "jax", {"x": X, "output_size": 2}))
    plan = _plan("adaptive_avg_pool2d", "jax", {"x": X, "output_size": 1})
    assert render_call(plan) == "jax.numpy.mean(jax.numpy.asarray(x), axis=[2, 3], keepdims=True)"
