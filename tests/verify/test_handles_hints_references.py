"""Ops whose values are no arrays are verified by a property each (a device handle that
holds arrays, a save/load round trip, no_grad blocks, method decorators), ONNX If against
its definition, and single-mapping ONNX ops against a NumPy reference; a wrong mapping
fails in each case."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.ontology.verify import references
from switcheroo.ontology.verify.callables import verify_callable
from switcheroo.ontology.verify.check import verify_op
from switcheroo.ontology.verify.contexts import verify_context, verify_decorator
from switcheroo.ontology.verify.handles import verify_handle
from switcheroo.ontology.verify.strategies import inputs_for

torch = pytest.importorskip("torch")


def _spec(op: str, **variants: dict) -> OpSpec:
    """The ontology's spec with its variants replaced (or kept where none is given)."""
    spec = load_ontology().specs[op]
    if not variants:
        return spec
    return spec.model_copy(update={"variants": {fw: Variant(**v) for fw, v in variants.items()}})


def _statuses(verdicts: dict) -> dict[str, str]:
    return {fw: v.status for fw, v in verdicts.items()}


def test_device_and_to_device_hold_arrays_on_the_cpu():
    assert _statuses(verify_handle(_spec("device"), ["torch"], 1)) == {"torch": "verified"}
    assert _statuses(verify_handle(_spec("to_device"), ["torch"], 1)) == {"torch": "verified"}
    wrong = _spec("to_device", torch={"compose": "x.to(device) * 2"})
    assert _statuses(verify_handle(wrong, ["torch"], 1)) == {"torch": "failed"}


def test_save_and_load_round_trip(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _statuses(verify_handle(_spec("save"), ["torch"], 1)) == {"torch": "verified"}
    assert _statuses(verify_handle(_spec("load"), ["torch"], 1)) == {"torch": "verified"}


def test_save_with_swapped_arguments_fails():
    pytest.importorskip("mlx.core")
    swapped = _spec("save", mlx={"api": "mlx.core.save", "args": {"obj": "file", "f": "arr"}})
    verdict = verify_handle(swapped, ["mlx"], 1)["mlx"]
    assert verdict.status == "failed" and verdict.snippet


def test_no_grad_where_gradients_are_computed_on_request():
    pytest.importorskip("jax")
    right = verify_context(_spec("no_grad"), ["numpy", "torch", "jax"], 1)
    assert _statuses(right) == {"numpy": "verified", "torch": "verified", "jax": "verified"}
    # torch records gradients: a block that is no context of its own does not stop them.
    wrong = _spec("no_grad", torch={"api": "contextlib.nullcontext"})
    assert verify_context(wrong, ["torch"], 1)["torch"].status == "failed"


def test_method_decorators_leave_the_method_computing_the_same():
    fws = ["numpy", "torch"]
    assert set(_statuses(verify_decorator(_spec("script_unused"), fws, 1)).values()) == {"verified"}
    assert set(_statuses(verify_decorator(_spec("overload_method"), fws, 1)).values()) == {"verified"}
    wrong = _spec("script_unused", torch={"api": "torch.vmap"})  # a transform, not a hint
    assert verify_decorator(wrong, ["torch"], 1)["torch"].status == "failed"


def test_onnx_if_is_compared_with_its_definition():
    pytest.importorskip("jax")
    assert set(_statuses(verify_callable(_spec("if"), ["jax"], 6)).values()) == {"verified"}
    swapped = _spec("if", jax={"api": "jax.lax.cond",
                               "args": {"cond": "pred", "else_branch": "true_fun", "then_branch": "false_fun"}})
    assert verify_callable(swapped, ["jax"], 6)["jax"].status == "failed"


@settings(max_examples=15, deadline=None)
@given(inputs_for(_spec("is_tensor")))
def test_is_tensor_draws_arrays_and_other_values(example):
    assert set(example) == {"x"}
    assert references.is_tensor(example["x"]) == isinstance(example["x"], np.ndarray)


@pytest.mark.parametrize("op", ["affine_grid", "col2im", "from_dlpack", "is_tensor", "max_unpool"])
def test_single_mappings_agree_with_the_reference_or_each_other(op):
    assert verify_op(_spec(op), ["torch", "numpy"], 6)["torch"].status == "verified"


def test_max_unpool_without_the_plane_index_fails():
    plain = _spec("max_unpool", torch={"api": "torch.nn.functional.max_unpool2d", "args": {
        "x": "input", "i": "indices", "kernel_shape": "kernel_size", "strides": "stride"},
        "drop_args": ["output_shape", "pads"], "required_args": ["strides"]})
    assert verify_op(plain, ["torch"], 20)["torch"].status == "failed"


def test_col2im_reference_matches_torch_fold():
    x = np.arange(2 * 12 * 4, dtype=np.float32).reshape(2, 12, 4)  # C=3, 2x2 blocks, 2x2 positions
    want = torch.nn.functional.fold(torch.from_numpy(x), (3, 3), (2, 2)).numpy()
    np.testing.assert_array_equal(references.col2im(x, (3, 3), (2, 2)), want)


def test_lp_pool_agrees_with_the_reference():
    assert verify_op(_spec("lp_pool"), ["torch"], 6)["torch"].status == "verified"


def test_grid_sample_reference_and_torch_differ_only_near_the_edge():
    x = np.array([[[[1.0, 2.0, 4.0, 8.0]]]], np.float32)

    def both(gx: float, mode: str, padding: str) -> tuple[float, float]:
        grid = np.array([[[[gx, 0.0]]]], np.float32)
        torch_mode = {"linear": "bilinear", "cubic": "bicubic"}.get(mode, mode)
        got = torch.nn.functional.grid_sample(torch.from_numpy(x), torch.from_numpy(grid), mode=torch_mode,
                                              padding_mode=padding, align_corners=False)
        return float(references.grid_sample(x, grid, 0, mode, padding).item()), float(got.item())

    assert both(-0.375, "linear", "zeros") == pytest.approx((1.75, 1.75))  # x = 0.75
    assert both(-1.125, "cubic", "border") == pytest.approx((1.0, 0.96484375))  # the marked difference
    assert both(-1.5, "nearest", "reflection") == (2.0, 1.0)


def test_mel_weight_matrix_reference_by_hand():
    # points at 0, 398 and 1022 Hz fall in DFT bins 0, 0 and 2 ((16 + 1) * f // 8000)
    m = references.mel_weight_matrix(np.array(1), np.array(16), np.array(8000), np.array(0.0), np.array(2000.0))
    assert m.shape == (9, 1)
    np.testing.assert_array_equal(m[:, 0], [1.0, 0.5, 0, 0, 0, 0, 0, 0, 0])
