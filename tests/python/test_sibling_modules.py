"""A model file that builds on another file of its project, converted file by file: the
importing file reads the imported classes where they are defined (passes/sibling_classes.py),
and the imported file's layer-class parameters take the target's forms
(passes/convert_factory_params.py). The two converted files, imported as a package, give
torch's outputs with the torch weights migrated."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

from tests.python.helpers import convert

BLOCKS = '''import torch
from torch import nn


class ConvNormAct(torch.nn.Sequential):
    """Convolution, norm, activation; each layer chosen by the caller."""

    def __init__(self, cin, cout, kernel_size=3, stride=1, norm_layer=torch.nn.BatchNorm2d,
                 activation_layer=nn.ReLU, conv_layer=torch.nn.Conv2d):
        padding = (kernel_size - 1) // 2
        layers = [conv_layer(cin, cout, kernel_size, stride, padding, bias=False)]
        layers.append(norm_layer(cout))
        # the activation takes no arguments that matter outside torch
        params = {"inplace": True}
        layers.append(activation_layer(**params))
        super().__init__(*layers)
        self.out_channels = cout


class Conv2dNormAct(ConvNormAct):
    def __init__(self, cin, cout, kernel_size=3, stride=1, norm_layer=torch.nn.BatchNorm2d,
                 activation_layer=nn.ReLU):
        super().__init__(cin, cout, kernel_size, stride, norm_layer, activation_layer, torch.nn.Conv2d)
'''

NET = '''import torch
from torch import nn

from .blocks import Conv2dNormAct


class Residual(nn.Module):
    def __init__(self, c, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self.body = nn.Sequential(Conv2dNormAct(c, c, norm_layer=norm_layer, activation_layer=nn.ReLU6),
                                  nn.Conv2d(c, c, 1, bias=False), norm_layer(c))

    def forward(self, x):
        return x + self.body(x)


class Net(nn.Module):
    def __init__(self, num_classes=5, block=None):
        super().__init__()
        if block is None:
            block = Residual
        layers = [Conv2dNormAct(3, 8, stride=2, activation_layer=nn.ReLU6)]
        for _ in range(2):
            layers.append(block(8))
        layers.append(Conv2dNormAct(8, 16, kernel_size=1))
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = nn.functional.adaptive_avg_pool2d(x, (1, 1))
        return self.fc(torch.flatten(x, 1))
'''


def _write(root, package: str, files: dict[str, str]) -> None:
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    for name, text in files.items():
        (root / package / name).write_text(text)


def _converted(tmp_path) -> dict[str, str]:
    """Both files converted from where they lie, so net.py reads blocks.py's classes."""
    _write(tmp_path, "proj", {"blocks.py": BLOCKS, "net.py": NET})
    out = {}
    for name in ("blocks.py", "net.py"):
        code, report = convert((tmp_path / "proj" / name).read_text(), "torch", "flax_nnx",
                               path=str(tmp_path / "proj" / name))
        assert not [d for d in report.diagnostics if d.severity == "warning"], report.diagnostics
        out[name] = code
    return out


def test_importing_file_reads_the_imported_classes(tmp_path):
    net = _converted(tmp_path)["net.py"]
    # Conv2dNormAct holds a conv and a BatchNorm: the containers holding it take NHWC at once
    # (and the residual add meets no transposes); its calls take the RNG stream; nn.ReLU6
    # handed to it is flax's function.
    assert "x + self.body(x)" in net
    assert "self.features(jnp.transpose(x, (0, 2, 3, 1)))" in net
    assert "activation_layer=nnx.relu6, rngs=rngs)" in net
    assert "block(8, rngs=rngs)" in net


def test_layer_class_parameters_take_the_target_forms(tmp_path):
    blocks = _converted(tmp_path)["blocks.py"]
    assert "norm_layer=functools.partial(nnx.BatchNorm, momentum=0.9)" in blocks
    assert "activation_layer=nnx.relu" in blocks
    # torch's positional order, written as flax takes it: a kernel size (an int default) spread
    assert "(kernel_size, kernel_size)," in blocks
    assert "strides=(stride, stride)," in blocks and "use_bias=False," in blocks
    assert "norm_layer(cout, rngs=rngs)" in blocks
    assert "layers.append(activation_layer)" in blocks
    assert "# the activation takes no arguments that matter outside torch" in blocks
    assert "class ConvNormAct(nnx.Sequential):" in blocks


def test_converted_files_match_torch(tmp_path):
    torch = pytest.importorskip("torch")
    nnx = pytest.importorskip("flax.nnx")
    from switcheroo.weights import transfer

    converted = _converted(tmp_path)
    _write(tmp_path, "proj_flax", converted)
    sys.path.insert(0, str(tmp_path))
    try:
        src = importlib.import_module("proj.net")
        dst = importlib.import_module("proj_flax.net")
        torch.manual_seed(0)
        ref = src.Net().eval()
        model = dst.Net(rngs=nnx.Rngs(0))
        model.eval()
        assert transfer(ref, model, src="torch", dst="flax_nnx").ok
        x = np.random.default_rng(0).standard_normal((2, 3, 16, 16)).astype(np.float32)
        with torch.no_grad():
            want = ref(torch.from_numpy(x)).numpy()
        got = np.asarray(model(x))
    finally:
        sys.path.remove(str(tmp_path))
        for mod in [m for m in sys.modules if m.split(".")[0] in ("proj", "proj_flax")]:
            del sys.modules[mod]
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_another_layer_class_for_the_parameter_is_marked(tmp_path):
    """``conv_layer``'s calls are written for its default (Conv2d); a subclass handing it
    Conv3d (kernel sizes over three dimensions) is kept, marked, never converted wrong."""
    source = BLOCKS + '''

class Conv3dNormAct(ConvNormAct):
    def __init__(self, cin, cout):
        super().__init__(cin, cout, 3, 1, torch.nn.BatchNorm3d, nn.ReLU, torch.nn.Conv3d)
'''
    code, report = convert(source, "torch", "flax_nnx", path=str(tmp_path / "blocks.py"))
    warnings = [str(d) for d in report.diagnostics if d.severity == "warning"]
    assert any("torch.nn.Conv3d: the calls of conv_layer are converted for Conv2d" in w for w in warnings), warnings
    assert "# swc: unmapped torch.nn.Conv3d" in code
