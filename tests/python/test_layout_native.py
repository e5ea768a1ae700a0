"""``swc-translate --layout native``: a torch NCHW CNN converted to take NHWC input.

The flatten before the Linear keeps torch's C, H, W order through one transpose, so the
weights migrate unchanged; the convolutions run back to back with no transposes."""

from __future__ import annotations

import numpy as np
import pytest
from switcheroo.diagnostics import Report
from switcheroo.translate_main import Translator

from tests.python.harness import build, run
from tests.python.helpers import import_code

CNN = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 6 * 6, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = torch.flatten(x, 1)
        return self.fc(x)
"""

FEATURES = """\
import torch.nn as nn
import torch.nn.functional as F


class Features(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 4, 3, padding=1)

    def forward(self, x):
        h = F.relu(self.conv1(x))
        return self.conv2(h)
"""

TRANSPOSE_CALLS = ("jnp.transpose(", "ops.transpose(", "tf.transpose(", "mx.permute_dims(")


def _native(source: str, target: str) -> str:
    report = Report()
    code = Translator("torch", target, layout="native").run(source, "cnn.py", report)
    assert not [d for d in report.diagnostics if d.severity == "warning"], code
    return code


@pytest.mark.parametrize("target", ["flax_nnx", "keras", "mlx"])
def test_native_cnn_takes_nhwc_and_matches_torch(target, tmp_path):
    import torch
    from switcheroo.weights import transfer

    code = _native(CNN, target)
    # One transpose, before the flatten (torch flattens C, H, W); none around the convs.
    assert sum(code.count(t) for t in TRANSPOSE_CALLS) == 1, code
    src = import_code(CNN, tmp_path, f"cnn_src_{target}")
    dst = import_code(code, tmp_path, f"cnn_native_{target}")
    torch.manual_seed(0)
    ref = src.CNN().eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    x_nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    model = build(dst, "CNN", (), target, x_nhwc)
    transfer(ref, model, src="torch", dst=target)
    want = ref(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(run(model, target, x_nhwc), want, rtol=1e-5, atol=1e-5)


def test_native_feature_map_is_returned_in_the_target_layout(tmp_path):
    import torch
    from switcheroo.weights import transfer

    code = _native(FEATURES, "flax_nnx")
    assert "transpose" not in code, code
    src = import_code(FEATURES, tmp_path, "feat_src")
    dst = import_code(code, tmp_path, "feat_native")
    torch.manual_seed(0)
    ref = src.Features().eval()
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 5)).astype(np.float32)
    x_nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    model = build(dst, "Features", (), "flax_nnx", x_nhwc)
    transfer(ref, model, src="torch", dst="flax_nnx")
    want = ref(torch.from_numpy(x)).detach().numpy().transpose(0, 2, 3, 1)
    np.testing.assert_allclose(run(model, "flax_nnx", x_nhwc), want, rtol=1e-5, atol=1e-5)


def test_source_layout_is_the_default():
    report = Report()
    code = Translator("torch", "flax_nnx").run(CNN, "cnn.py", report)
    assert "self.conv1(jnp.transpose(x, (0, 2, 3, 1)))" in code
