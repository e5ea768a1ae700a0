"""Ops that take functions are verified with a set of pure functions; einsum's subscripts
fit its drawn operands; ops and layers that only one framework maps are compared with an
independent NumPy reference; a wrong mapping fails in each case."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from switcheroo.ontology.odl import OpSpec, StdArg, Variant
from switcheroo.ontology.verify import layer_references as lr
from switcheroo.ontology.verify.callables import verify_callable
from switcheroo.ontology.verify.check import verify_op
from switcheroo.ontology.verify.special_inputs import SPECIAL
from switcheroo.ontology.verify.strategies import _array, inputs_for

torch = pytest.importorskip("torch")


def _spec(op: str, args: list[dict], variants: dict[str, dict]) -> OpSpec:
    return OpSpec(operation=op, std_args=[StdArg(**a) for a in args],
                  variants={fw: Variant(**v) for fw, v in variants.items()})


EINSUM = _spec("einsum", [{"name": "subscripts", "type": "str"}, {"name": "operands", "is_variadic": True}],
               {"numpy": {"api": "numpy.einsum"}})


@settings(max_examples=30, deadline=None)
@given(inputs_for(EINSUM))
def test_einsum_subscripts_fit_the_operands(example):
    assert set(example) == {"subscripts", "operands"}
    inputs, _, output = example["subscripts"].partition("->")
    assert len(inputs.split(",")) == len(example["operands"])
    out = np.einsum(example["subscripts"], *example["operands"])
    assert out.ndim == len(output)
    assert "einsum" in SPECIAL and _array is not None


def test_a_function_transform_is_verified_and_a_wrong_one_fails():
    pytest.importorskip("jax")
    args = [{"name": "fun", "type": "Callable"}]
    right = _spec("vmap", args, {"jax": {"api": "jax.vmap"}, "torch": {"api": "torch.vmap"}})
    verdicts = verify_callable(right, ["jax", "torch"], 4)
    assert {v.status for v in verdicts.values()} == {"verified"}
    wrong = _spec("vmap", args, {"jax": {"api": "jax.vmap"}, "torch": {"api": "torch.func.grad"}})
    verdicts = verify_callable(wrong, ["jax", "torch"], 4)
    assert "failed" in {v.status for v in verdicts.values()}


def test_a_single_mapping_is_compared_with_the_numpy_reference():
    args = [{"name": "x", "type": "Tensor"}, {"name": "alpha", "type": "float", "default": 1.0}]
    right = _spec("thresholded_relu", args,
                  {"torch": {"api": "torch.nn.functional.threshold", "args": {"x": "input", "alpha": "threshold"},
                             "inject_args": {"value": 0.0}, "required_args": ["alpha"]}})
    assert verify_op(right, ["torch"], 8)["torch"].status == "verified"
    wrong = _spec("thresholded_relu", args, {"torch": {"api": "torch.relu", "args": {"x": "input"}}})
    verdict = verify_op(wrong, ["torch"], 8)["torch"]
    assert verdict.status == "failed" and "reference" in verdict.reason


@pytest.mark.parametrize(
    ("name", "module", "inputs", "values"),
    [
        ("Tanhshrink", torch.nn.Tanhshrink(), 1, {}),
        ("LocalResponseNorm", torch.nn.LocalResponseNorm(3, alpha=0.5, beta=0.5, k=2.0), 1,
         {"size": 3, "alpha": 0.5, "beta": 0.5, "k": 2.0}),
        ("KLDivLoss", torch.nn.KLDivLoss(reduction="batchmean"), 2, {"reduction": "batchmean"}),
        ("SmoothL1Loss", torch.nn.SmoothL1Loss(beta=0.5, reduction="sum"), 2, {"beta": 0.5, "reduction": "sum"}),
        ("TripletMarginLoss", torch.nn.TripletMarginLoss(p=1.0), 3, {"p": 1.0}),
    ],
)
def test_layer_references_match_torch(name, module, inputs, values):
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(-2, 2, (3, 4, 5) if name == "LocalResponseNorm" else (3, 4)).astype(np.float32)
              for _ in range(inputs)]
    if name == "KLDivLoss":
        arrays[1] = np.abs(arrays[1]) / 2
    want = module(*(torch.from_numpy(a) for a in arrays)).numpy()
    got = lr.LAYER_REFERENCES[name](values, *arrays)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_depth_to_space_reference_is_pixel_shuffle_in_crd_mode_and_inverts_space_to_depth():
    from switcheroo.ontology.verify import references as ref

    x = np.arange(2 * 8 * 3 * 2, dtype=np.float32).reshape(2, 8, 3, 2)
    want = torch.nn.functional.pixel_shuffle(torch.from_numpy(x), 2).numpy()
    np.testing.assert_array_equal(ref.depth_to_space(x, 2, "CRD"), want)
    for mode in ("DCR", "CRD"):
        np.testing.assert_array_equal(ref.space_to_depth(ref.depth_to_space(x, 2, mode), 2, mode), x)
    seq = ref.reverse_sequence(np.arange(6.0).reshape(3, 2), np.array([3, 1]), batch_axis=1, time_axis=0)
    np.testing.assert_array_equal(seq, [[4.0, 1.0], [2.0, 3.0], [0.0, 5.0]])
