"""Seeding the global generator is checked by its effect, variance scaling against the
spec's distribution, and a required argument a mapping fixes is drawn at that value."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import find, settings
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, StdArg, Variant
from switcheroo.ontology.verify import kinds
from switcheroo.ontology.verify.initializers import EXPECTED, judge
from switcheroo.ontology.verify.rng import verify_rng
from switcheroo.ontology.verify.strategies import inputs_for


def test_manual_seed_is_checked_by_the_stream_it_fixes():
    pytest.importorskip("torch")
    spec = load_ontology().specs["manual_seed"]
    assert kinds.checker_for(spec) is verify_rng
    # torch.manual_seed returns its generator (others None): not compared, only the seeding.
    assert verify_rng(spec, ["torch"], 1)["torch"].status == "verified"
    ignores_seed = spec.model_copy(update={"variants": {"torch": Variant(api="builtins.abs")}})
    out = verify_rng(ignores_seed, ["torch"], 1)
    assert out["torch"].status == "failed" and "seeded twice" in out["torch"].reason


def _scaling(**kw) -> dict:
    return {"scale": 2.0, "mode": "fan_in", "distribution": "normal", "in_axis": -2, "out_axis": -1, **kw}


def test_variance_scaling_expects_the_fan_its_axes_name():
    rng = np.random.default_rng(0)
    fan_in, fan_out = 64, 160
    exp = EXPECTED["variance_scaling"](_scaling(), fan_in, fan_out)
    assert math.isclose(exp.std, math.sqrt(2.0 / fan_in))
    # a kernel whose axes are swapped: fan_in is the [in, out] kernel's last axis
    swapped = EXPECTED["variance_scaling"](_scaling(in_axis=-1, out_axis=-2), fan_in, fan_out)
    assert math.isclose(swapped.std, math.sqrt(2.0 / fan_out))
    sample = rng.normal(0.0, math.sqrt(2.0 / fan_in), 8192)
    assert judge(exp, sample)[0] and not judge(swapped, sample)[0]
    uniform = EXPECTED["variance_scaling"](_scaling(mode="fan_avg", distribution="uniform"), fan_in, fan_out)
    assert math.isclose(uniform.high, math.sqrt(3 * 2.0 / ((fan_in + fan_out) / 2)))
    # truncated at two standard deviations, scaled back to the variance scale / n
    truncated = EXPECTED["variance_scaling"](_scaling(distribution="truncated_normal"), fan_in, fan_out)
    assert math.isclose(truncated.std, math.sqrt(2.0 / fan_in), rel_tol=1e-6)


def test_a_required_argument_a_mapping_fixes_is_drawn_at_that_value():
    spec = OpSpec(
        operation="bounded",
        std_args=[StdArg(name="lower", type="float"), StdArg(name="shape", type="tuple[int, ...]")],
        variants={"keras": Variant(api="keras.random.truncated_normal", drop_args=["lower"], defaults={"lower": 0.3})},
    )
    example = find(inputs_for(spec), lambda ex: ex.get("lower") == 0.3,
                   settings=settings(max_examples=200, database=None, derandomize=True))
    assert example["lower"] == 0.3  # not a multiple of 1/8: only the fixed value gives it


def test_clip_grad_norm_is_checked_against_its_formula():
    pytest.importorskip("torch")
    from switcheroo.ontology.verify.clipping import verify_clip

    spec = load_ontology().specs["clip_grad_norm"]
    assert kinds.checker_for(spec) is verify_clip
    out = verify_clip(spec, ["torch"], 3)
    assert out["torch"].status == "verified", out["torch"].reason
    # clipping each value instead of the global norm is caught, with a runnable snippet
    by_value = Variant(api="torch.nn.utils.clip_grad_value_", args={"params": "parameters", "max_norm": "clip_value"},
                       drop_args=["norm_type"])
    wrong = verify_clip(spec.model_copy(update={"variants": {"torch": by_value}}), ["torch"], 6)
    assert wrong["torch"].status == "failed" and "clip_grad_value_" in wrong["torch"].snippet
