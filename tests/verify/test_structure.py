"""Containers, methods, contexts and decorators are verified by their effect on converted
programs; a wrong mapping is caught with a counterexample."""

from __future__ import annotations

import pytest
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.verify import kinds
from switcheroo.ontology.verify.check import verify_op

pytest.importorskip("torch")
pytest.importorskip("mlx.core")


def _verified(op: str, frameworks: list[str]) -> dict:
    res = verify_op(load_ontology().specs[op], frameworks, max_examples=2)
    bad = {fw: (r.status, r.reason) for fw, r in res.items() if r.status != "verified"}
    assert not bad, bad
    return res


def test_container_verifies_through_the_converter():
    res = _verified("Sequential", ["torch", "mlx"])
    assert res["mlx"].examples >= 1
    assert res["torch"].reason == "reference; agrees with mlx"


def test_method_verifies_on_a_converted_model():
    res = _verified("train_mode", ["torch", "mlx"])
    assert res["mlx"].reference == "torch"


def test_context_verifies():
    res = _verified("printoptions", ["numpy", "mlx"])
    assert res["numpy"].reason == "reference; agrees with mlx"


def test_structure_op_types_are_dispatched_before_kinds():
    specs = load_ontology().specs
    assert kinds.checker_for(specs["no_grad"]).__name__ == "verify_context"
    assert kinds.checker_for(specs["jit"]).__name__ == "verify_decorator"
    assert kinds.checker_for(specs["ModuleDict"]).__name__ == "verify_container"
    assert kinds.checker_for(specs["Linear"]).__name__ == "verify_layer"
    assert kinds.checker_for(specs["Parameter"]).__name__ == "verify_structure"


def test_wrong_method_mapping_is_caught_with_a_counterexample():
    # mlx's parameters() also lists BatchNorm's frozen running statistics, which torch
    # keeps as buffers: mapping torch's parameters() to it is wrong.
    spec = load_ontology().specs["parameters"]
    wrong = spec.variants["mlx"].model_copy(update={"api": "mlx.nn.Module.parameters"})
    spec = spec.model_copy(update={"variants": {**spec.variants, "mlx": wrong}})
    res = verify_op(spec, ["torch", "mlx"], max_examples=2)
    assert res["mlx"].status == "failed"
    assert "6 arrays" in res["mlx"].reason and "torch has 4" in res["mlx"].reason
    assert "class Net(nn.Module)" in res["mlx"].snippet
    assert "mlx.nn.Module.parameters" in res["mlx"].snippet


@pytest.mark.parametrize("op", ["Buffer", "Parameter"])
def test_state_written_as_the_array_itself_verifies(op):
    # mlx and numpy spell a buffer/parameter as the array itself (compose: data): the
    # attribute is checked against the framework's array type.
    res = _verified(op, ["torch", "mlx", "numpy"])
    assert res["torch"].reason == "reference; agrees with mlx, numpy"


def test_unfrozen_mlx_buffer_is_caught(monkeypatch):
    # Without the freeze, MLX trains the buffer: one trainable array more than torch.
    from switcheroo.passes import module_state

    monkeypatch.setattr(module_state, "_freeze", lambda *args: None)
    res = verify_op(load_ontology().specs["Buffer"], ["torch", "mlx"], max_examples=2)
    assert res["mlx"].status == "failed"
    assert "3 trainable arrays, torch has 2" in res["mlx"].reason
