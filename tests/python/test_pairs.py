"""X -> Y for every ordered pair of non-torch frameworks: the torch model is converted to X
(known to match, tests/python/test_models.py), switcheroo's X code is converted to Y, the
weights go torch -> X -> Y through the live models, and Y computes what torch computes.

The default run takes one model per pair (rotated over the models, so every model is
seen); the full model x pair product is ``slow``."""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.harness import pair
from tests.python.test_models import _IMPORT, CASES

pytest.importorskip("torch")

FRAMEWORKS = ["jax", "flax_nnx", "keras", "tensorflow", "mlx", "numpy"]
PAIRS = [(src, dst) for src in FRAMEWORKS for dst in FRAMEWORKS if src != dst]
# mlp, a CNN (conv + pool + linear), an LSTM classifier, layer and batch norm, a residual
# block, embedding + pooling, a data-dependent branch and a bidirectional LSTM stack.
PAIR_CASES = ["mlp", "cnn", "lstm", "layernorm", "batchnorm", "resnet_basic", "embedding_bag", "branch",
              "lstm_stacked"]

# (case, X, Y) -> why X -> Y is not built (a gap to close, not a tolerance). None left: the
# layer that reads a model's input names no size in Keras, and switcheroo's Keras code keeps
# it with self.X.build(...) (passes/infer_layer_sizes.py).
PAIR_GAPS: dict[tuple[str, str, str], str] = {}


def _default_case(index: int, src: str, dst: str) -> str:
    """The model a pair runs in the default suite: rotated, skipping the pair's gaps."""
    for k in range(len(PAIR_CASES)):
        case = PAIR_CASES[(index + k) % len(PAIR_CASES)]
        if (case, src, dst) not in PAIR_GAPS:
            return case
    return PAIR_CASES[index % len(PAIR_CASES)]


DEFAULT = [(_default_case(i, src, dst), src, dst) for i, (src, dst) in enumerate(PAIRS)]
FULL = [pytest.param(case, src, dst, marks=pytest.mark.slow) for case in PAIR_CASES for src, dst in PAIRS
        if (case, src, dst) not in DEFAULT]


def _check(tmp_path, case: str, src: str, dst: str) -> None:
    pytest.importorskip(_IMPORT[src])
    pytest.importorskip(_IMPORT[dst])
    if (case, src, dst) in PAIR_GAPS:
        pytest.skip(PAIR_GAPS[(case, src, dst)])
    file, cls, args, shape, *vocab = CASES[case]
    got, want, _ = pair(file.read_text(), cls, args, shape, src, dst, tmp_path, case, *vocab)
    assert got.shape == want.shape  # the source's tensor interface is kept (NCHW in)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("case", "src", "dst"), DEFAULT)
def test_pair(tmp_path, case, src, dst):
    _check(tmp_path, case, src, dst)


@pytest.mark.parametrize(("case", "src", "dst"), FULL)
def test_pair_full(tmp_path, case, src, dst):
    _check(tmp_path, case, src, dst)


def test_a_gap_is_marked(tmp_path):
    """Keras code that names no input size, converted with no input shape, is refused aloud:
    the layer missing its size is kept and marked (tests/python/test_input_shapes.py gives it)."""
    from tests.python.helpers import convert

    code = ("import keras\nfrom keras import layers\n\n\nclass MLP(keras.Model):\n"
            "    def __init__(self):\n        super().__init__()\n        self.fc1 = layers.Dense(16)\n\n"
            "    def call(self, x):\n        return self.fc1(x)\n")
    out, report = convert(code, "keras", "flax_nnx", path="mlp_keras.py")
    assert "# swc: unmapped keras.layers.Dense" in out
    assert any(d.severity == "warning" and "in_features" in d.message for d in report.diagnostics)
