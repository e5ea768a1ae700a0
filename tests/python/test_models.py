"""Models written the way users write them: converted to every target, weights migrated
with ``switcheroo.weights.transfer``, run on both sides on random inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.python.harness import compare_with_torch

pytest.importorskip("torch")

MODELS = Path(__file__).parent / "models"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "examples"

# name -> (file, class, constructor args, input shape[, vocab for integer token inputs])
CASES = {
    "mlp": (DOCS / "mlp_torch.py", "MLP", (6, 16, 3), (5, 6)),
    "cnn": (MODELS / "cnn_torch.py", "SmallCNN", (3, 5), (2, 3, 12, 12)),
    "sequential_mlp": (MODELS / "sequential_torch.py", "SequentialMLP", (), (5, 6)),
    "layer_loop": (MODELS / "sequential_torch.py", "LayerLoop", (), (5, 8)),
    "heads_by_name": (MODELS / "sequential_torch.py", "HeadsByName", (), (5, 6)),
    "resnet_basic": (MODELS / "resnet_torch.py", "BasicBlock", (), (2, 4, 8, 8)),
    "resnet_bottleneck": (MODELS / "resnet_torch.py", "Bottleneck", (), (2, 16, 6, 6)),
    "depthwise_separable": (MODELS / "resnet_torch.py", "DepthwiseSeparable", (), (2, 4, 7, 7)),
    "lstm": (MODELS / "recurrent_torch.py", "LSTMClassifier", (), (3, 7, 5)),
    "lstm_final_state": (MODELS / "recurrent_torch.py", "LSTMFinalState", (), (3, 7, 5)),
    "lstm_stacked": (MODELS / "recurrent_torch.py", "LSTMStacked", (), (3, 7, 5)),
    "gru": (MODELS / "recurrent_torch.py", "GRUClassifier", (), (3, 7, 5)),
    "embedding_bag": (MODELS / "recurrent_torch.py", "EmbeddingBag", (), (3, 9), 20),
    "encoder_scratch": (MODELS / "attention_torch.py", "ScratchEncoderLayer", (), (2, 5, 16)),
    "encoder_mha": (MODELS / "attention_torch.py", "MHAEncoderLayer", (), (2, 5, 16)),
    "batchnorm": (MODELS / "norms_torch.py", "BatchNormNet", (), (5, 6)),
    "layernorm": (MODELS / "norms_torch.py", "LayerNormNet", (), (5, 6)),
    "groupnorm": (MODELS / "norms_torch.py", "GroupNormNet", (), (2, 3, 6, 6)),
    "dropout": (MODELS / "norms_torch.py", "DropoutNet", (), (5, 6)),
    "maxpool": (MODELS / "pooling_torch.py", "MaxPoolNet", (), (2, 3, 12, 12)),
    "avgpool": (MODELS / "pooling_torch.py", "AvgPoolNet", (), (2, 3, 10, 10)),
    "adaptive_pool": (MODELS / "pooling_torch.py", "AdaptivePoolNet", (), (2, 3, 9, 9)),
    "einsum": (MODELS / "tensor_ops_torch.py", "BilinearEinsum", (), (5, 6)),
    "masked_fill": (MODELS / "tensor_ops_torch.py", "MaskedScores", (), (5, 6)),
    "split_cat_stack": (MODELS / "tensor_ops_torch.py", "SplitCatStack", (), (5, 8)),
    "branch": (MODELS / "tensor_ops_torch.py", "DataDependentBranch", (), (5, 6)),
    "conv_transpose": (MODELS / "conv_extra_torch.py", "UpsampleDecoder", (), (2, 4, 5, 5)),
    "weight_norm": (MODELS / "conv_extra_torch.py", "WeightNormMLP", (), (5, 6)),
    "conv1d": (MODELS / "conv_extra_torch.py", "Conv1dNet", (), (2, 3, 11)),
    "buffers_scale": (MODELS / "buffers_torch.py", "Scale", (), (5, 8)),
    "buffers_frozen_bn": (MODELS / "buffers_torch.py", "FrozenBNConv", (), (2, 3, 6, 6)),
    "buffers_sinusoidal": (MODELS / "buffers_torch.py", "SinusoidalEncoding", (), (2, 5, 16)),
    "vit_tiny": (MODELS / "vit_tiny_torch.py", "ViTTiny", (), (2, 6, 12)),
}
TARGETS = ["flax_nnx", "jax", "keras", "tensorflow", "mlx", "numpy"]
# Known gaps, each with its reason (they are conversions still to build, not tolerances).
GAPS: dict[tuple[str, str], str] = {}
_IMPORT = {"flax_nnx": "flax.nnx", "jax": "flax.nnx", "keras": "keras", "tensorflow": "tensorflow", "mlx": "mlx.core",
           "numpy": "numpy"}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_torch_model_matches(tmp_path, case, target):
    pytest.importorskip(_IMPORT[target])
    if (case, target) in GAPS:
        pytest.skip(GAPS[(case, target)])
    file, cls, args, shape, *vocab = CASES[case]
    got, want, _ = compare_with_torch(file.read_text(), cls, args, shape, target, tmp_path, case, *vocab)
    assert got.shape == want.shape  # the source's tensor interface is kept (NCHW in)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# torch -> X -> torch for every X: tests/python/test_round_trips.py
