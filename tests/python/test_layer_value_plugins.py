"""Layer arguments a target spells differently: MLX convolutions pad by integers, Keras
upsamples by a whole factor with its own bicubic kernel; what has no equivalent is kept
and marked, never converted to something that computes otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert

CONVS = """\
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(4, 2, 3, padding='same', dilation=2)
        self.b = torch.nn.Conv2d(4, 2, 2, padding='same')
        self.c = torch.nn.Conv1d(4, 2, 3, padding='valid')

    def forward(self, x):
        return self.a(x)
"""

UPSAMPLES = """\
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Upsample(scale_factor=2.0, mode='bilinear')
        self.b = torch.nn.Upsample(size=6)
        self.c = torch.nn.Upsample(scale_factor=2, mode='bicubic')
        self.d = torch.nn.Upsample(scale_factor=1.5)

    def forward(self, x):
        return self.a(x)
"""


def test_mlx_convolutions_pad_by_integers():
    out, report = convert(CONVS, "torch", "mlx")
    assert "nn.Conv2d(4, 2, 3, padding=2, dilation=2)" in out
    assert "nn.Conv1d(4, 2, 3, padding=0)" in out
    # torch pads an even kernel unevenly: kept, marked
    assert "torch.nn.Conv2d(in_channels=4, out_channels=2, kernel_size=2, padding='same')  # swc: unmapped" in out
    assert any("padding='same'" in d.message for d in report.diagnostics)


def test_keras_upsampling_takes_whole_factors_only():
    out, _ = convert(UPSAMPLES, "torch", "keras")
    assert "layers.UpSampling2D(size=2, interpolation='bilinear')" in out
    assert out.count("# swc: unmapped torch.nn.Upsample") == 3  # an output size, bicubic, 1.5


def test_numpy_transposed_convolution_pads_beyond_the_kernel():
    torch = pytest.importorskip("torch")
    from switcheroo.passes.scaffolds import numpy_layers

    layer = torch.nn.ConvTranspose1d(4, 2, 1, stride=2, padding=1, output_padding=1, groups=2)
    mine = numpy_layers.ConvTranspose1d(4, 2, 1, stride=2, padding=1, output_padding=1, groups=2)
    mine.weight, mine.bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    x = np.random.default_rng(0).uniform(-2, 2, (2, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(mine(x), layer(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_pixel_shuffle_is_crd_and_kept_as_written_where_the_target_is_dcr():
    source = "import torch.nn.functional as F\n\n\ndef f(x):\n    return F.pixel_shuffle(x, 2)\n"
    out, _ = convert(source, "torch", "tensorflow")
    assert "F.pixel_shuffle(input=x, upscale_factor=2)  # swc: unmapped" in out
