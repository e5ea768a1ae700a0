"""``scan-leftovers``: source-framework references left in converted code are warnings."""

from __future__ import annotations

from tests.python.helpers import convert

KEPT_TORCH = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x, device: torch.device = None):
        assert x.dtype == torch.float32, F.relu
        return F.relu(self.fc(x))
"""

CLEAN = """\
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return F.relu(self.fc(x))
"""


def _leftovers(report) -> list[str]:
    return [f"{d.line}:{d.col} {d.message}" for d in report.diagnostics
            if d.severity == "warning" and "left in the output" in d.message]


def test_each_kept_reference_is_a_warning_with_its_position():
    _, report = convert(KEPT_TORCH, "torch", "flax_nnx")
    assert _leftovers(report) == [
        "11:5 torch from torch left in the output",
        "12:27 torch from torch left in the output",
        "12:42 F (torch.nn.functional) from torch left in the output",
    ]


def test_fully_converted_code_has_no_leftovers():
    for dst in ("flax_nnx", "keras", "mlx"):
        code, report = convert(CLEAN, "torch", dst)
        assert _leftovers(report) == [], dst
        assert "torch" not in code


def test_target_sharing_the_source_modules_is_not_scanned():
    src = "import jax.numpy as jnp\n\n\ndef f(x):\n    return jnp.sum(x)\n"
    _, report = convert(src, "jax", "flax_nnx")
    assert _leftovers(report) == []


def test_source_layer_in_verbatim_code_is_marked_on_its_line():
    """A torch layer inside code kept verbatim (a conditional expression) is marked where
    it stands, not only reported."""
    src = (
        "import torch.nn as nn\n\n\n"
        "class Block(nn.Module):\n"
        "    def __init__(self, c, down):\n"
        "        super().__init__()\n"
        "        self.downsample = nn.Conv2d(c, c, 1) if down else None\n\n"
        "    def forward(self, x):\n"
        "        return x\n"
    )
    code, report = convert(src, "torch", "flax_nnx", path="block.py")
    line = next(ln for ln in code.splitlines() if "self.downsample =" in ln)
    assert line.endswith("# swc: unmapped torch.nn")
    assert any("block.py:7:" in str(d) for d in report.diagnostics)


def test_module_level_model_gets_a_fresh_rng_stream():
    """``model = Net()`` outside any function: flax layers need a stream, so the converted
    line builds one (``Net(rngs=nnx.Rngs(0))``) and runs."""
    src = (
        "import torch.nn as nn\n\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(4, 2)\n\n"
        "    def forward(self, x):\n"
        "        return self.fc(x)\n\n\n"
        "model = Net()\n"
    )
    code, _ = convert(src, "torch", "flax_nnx", path="net.py")
    assert "model = Net(rngs=nnx.Rngs(0))" in code
    namespace: dict = {}
    exec(compile(code, "net.py", "exec"), namespace)
    assert namespace["model"].fc.kernel.value.shape == (4, 2)
