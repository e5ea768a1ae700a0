"""audit, suggest and consensus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from switcheroo.ontology.tools import audit, consensus, suggest

MODEL = """import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        x = F.relu(self.conv(x))
        x = torch.flatten(x, 1)
        return torch.frobnicate(self.fc(x))
"""


def test_audit_finds_only_unmapped(tmp_path):
    f = tmp_path / "net.py"
    f.write_text(MODEL)
    result = audit.audit(tmp_path, ["torch"])
    assert dict(result.unmapped) == {"torch.frobnicate": [f"{f}:15"]}
    assert result.seen == 6
    assert '"torch.frobnicate"' in audit.render(result, as_json=True)


def test_audit_several_paths_and_only_root_calls(tmp_path):
    (tmp_path / "a.py").write_text(MODEL)
    # A package's own helpers (relative imports) and other roots are not torch calls.
    (tmp_path / "b.py").write_text(
        "import torch\nfrom ..utils import _log_api_usage_once\nimport numpy as np\n"
        "_log_api_usage_once(None)\nnp.frobnicate(1)\ntorch.zeros(2)\n"
    )
    result = audit.audit([tmp_path / "a.py", tmp_path / "b.py"], ["torch"])
    assert result.files == 2
    assert result.seen == 7
    assert list(result.unmapped) == ["torch.frobnicate"]


def _real_models() -> Path:
    return Path(os.environ.get("SWC_REAL_MODELS", Path.home() / ".cache/switcheroo/real_models"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["alexnet", "vgg", "resnet", "squeezenet", "densenet", "mobilenetv2"]
)
def test_audit_torchvision_fully_mapped(name):
    path = _real_models() / "torchvision" / "models" / f"{name}.py"
    if not path.exists():
        pytest.skip("run corpus/python/fetch_real_models.sh ~/.cache/switcheroo/real_models")
    assert dict(audit.audit(path, ["torch"]).unmapped) == {}


def test_suggest_prompt():
    text = suggest.prompt("torch.nn.functional.*", limit=5)
    assert "## ODL schema (spec files)" in text and "## Worked example" in text
    assert text.count("\n- torch.nn.functional.") == 5
    assert "torch.nn.functional.relu(" not in text  # already mapped


def test_consensus(tmp_path):
    assert consensus.normalize("keras.losses.HuberLoss") == "huber"
    assert consensus.normalize("torch.nn.functional.huber_loss") == "huber"
    path, count = consensus.run(tmp_path / "c.yaml", min_frameworks=4)
    assert count > 0 and "PROPOSED by swc consensus" in path.read_text()
