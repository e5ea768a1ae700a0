"""Layer and loss mappings are verified through the converter; a wrong one is caught."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from switcheroo.ontology.loader import DATA_DIR, build_ontology, data_files, load_ontology
from switcheroo.ontology.verify.check import verify_op

torch = pytest.importorskip("torch")

ALL = ["torch", "flax_nnx", "jax", "keras", "tensorflow", "mlx", "numpy"]


@pytest.mark.parametrize(
    ("op", "frameworks"),
    [
        ("Linear", ALL),
        # keras is left out: Conv2D refuses strides > 1 with dilation > 1, which the
        # conversion still writes (reported as a failure by the whole-ontology run).
        ("Conv2d", ["torch", "flax_nnx", "mlx", "numpy"]),
        ("BatchNorm2d", ALL),
        ("LSTM", ALL),
        ("mse_loss", ALL),
        ("cross_entropy", ALL),
    ],
)
def test_layers_and_losses_verify(op, frameworks):
    spec = load_ontology().specs[op]
    res = verify_op(spec, frameworks, max_examples=2)
    ran = {fw: r for fw, r in res.items() if "not installed" not in r.reason}
    assert "torch" in ran and len(ran) >= 2, res
    bad = {fw: (r.status, r.reason) for fw, r in ran.items() if r.status != "verified"}
    assert not bad, bad
    assert all(r.examples >= 1 for r in ran.values())


def _wrong_ontology(tmp_path):
    """The real ontology with keras's LeakyReLU missing its different default slope (0.3
    where torch's is 0.01): a conversion that leaves the slope out changes the layer."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    keras = data / "mappings" / "keras" / "neural.yaml"
    text = keras.read_text()
    right = "LeakyReLU: {api: keras.layers.LeakyReLU, defaults: {negative_slope: 0.3}}"
    assert right in text
    keras.write_text(text.replace(right, "LeakyReLU: {api: keras.layers.LeakyReLU}"))
    return build_ontology(data_files(data))


def test_wrong_layer_mapping_is_caught_with_a_counterexample(tmp_path):
    pytest.importorskip("keras")
    spec = _wrong_ontology(tmp_path).specs["LeakyReLU"]
    res = verify_op(spec, ["torch", "keras"], max_examples=3)
    assert res["keras"].status == "failed" and res["keras"].reference == "torch"
    assert "mismatch" in res["keras"].reason
    snippet = res["keras"].snippet
    assert "torch.nn.LeakyReLU(" in snippet and "layers.LeakyReLU()" in snippet
    run = subprocess.run(
        [sys.executable, "-c", snippet], capture_output=True, text=True, timeout=300, check=True
    )  # the snippet runs as printed: both models, the weight copy and the inputs
    printed = [line.split()[0] for line in run.stdout.splitlines() if line[:1].isalpha()]
    assert printed == ["torch", "keras"], run.stdout
    # The right mapping (the tree's) verifies.
    good = verify_op(load_ontology().specs["LeakyReLU"], ["torch", "keras"], max_examples=3)
    assert good["keras"].status == "verified", good["keras"]


def test_unconvertible_values_are_reported():
    """batch_first=False has no keras spelling: the conversion keeps the source layer, so
    the example is taken with keras's own value and the reason says what was unmapped."""
    pytest.importorskip("keras")
    res = verify_op(load_ontology().specs["GRU"], ["torch", "keras"], max_examples=3)
    assert res["keras"].status == "verified", res["keras"]
    assert "unmapped" in res["keras"].reason or "only 'output'" in res["keras"].reason
