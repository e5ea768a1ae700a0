"""A value plugin that refuses a non-literal argument says which argument it could not
read, in words: the diagnostic never shows the internal "no value" sentinel's repr."""

from __future__ import annotations

import pytest

from tests.python.helpers import convert

TORCH_LAYER = """\
import torch


class Net(torch.nn.Module):
    def __init__(self, v):
        super().__init__()
        self.a = torch.nn.{layer}

    def forward(self, x):
        return self.a(x)
"""

KERAS_LAYER = """\
import keras


class Net(keras.Model):
    def __init__(self, v):
        super().__init__()
        self.a = keras.layers.{layer}

    def call(self, x):
        return self.a(x)
"""

TORCH_PAD = "import torch.nn.functional as F\n\n\ndef f(x, v):\n    return F.pad(x, v)\n"

# (source, from, to, the words naming what was not a literal); each hits one refusal
CASES = {
    "pad_from_last_dim": (TORCH_PAD, "torch", "jax", "a non-literal pad"),
    "padding_pairs": (TORCH_LAYER.format(layer="MaxPool2d(2, padding=v)"), "torch", "flax_nnx",
                      "a non-literal padding"),
    "ceil_mode_padding": (TORCH_LAYER.format(layer="MaxPool2d(2, ceil_mode=v)"), "torch", "flax_nnx",
                          "a non-literal ceil_mode"),
    "hw_padding_pairs_raise": (KERAS_LAYER.format(layer="ZeroPadding2D(padding=v)"), "keras", "torch",
                               "a non-literal padding"),
    "hw_padding_pairs_lower": (TORCH_LAYER.format(layer="ZeroPad2d(v)"), "torch", "keras", "a non-literal padding"),
    "stride_excludes_dilation": (TORCH_LAYER.format(layer="Conv2d(4, 2, 3, stride=v, dilation=2)"), "torch",
                                 "keras", "a non-literal stride"),
    "output_padding_stride": (TORCH_LAYER.format(layer="ConvTranspose2d(4, 2, 3, stride=v, output_padding=1)"),
                              "torch", "keras", "a non-literal stride"),
    "output_padding_value": (TORCH_LAYER.format(layer="ConvTranspose2d(4, 2, 3, stride=2, output_padding=v)"),
                             "torch", "keras", "a non-literal output_padding"),
    "kernel_covers_stride": (TORCH_LAYER.format(layer="ConvTranspose2d(4, 2, v, stride=2)"), "torch", "flax_nnx",
                             "a non-literal kernel_size"),
    "integer_scale": (TORCH_LAYER.format(layer="Upsample(scale_factor=v)"), "torch", "keras",
                      "a non-literal scale_factor"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refusal_names_the_non_literal_argument(case):
    source, src, dst, words = CASES[case]
    out, report = convert(source, src, dst)
    assert "# swc: unmapped" in out
    messages = [d.message for d in report.diagnostics]
    assert not any("object at 0x" in m for m in messages), messages
    assert any(words in m for m in messages), messages
