"""The analysis passes report, with file:line:col, what would make a conversion wrong:
impure forward methods (jit), attributes never set in __init__, unmapped third-party
imports."""

from __future__ import annotations

from tests.python.helpers import convert

SOURCE = '''\
import os
import einops
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.register_buffer("scale", torch.ones(4))

    def forward(self, x):
        print("tracing")
        h = self.fc(x) * self.scale + self.bias
        self.calls = 1
        if self.training:
            h = torch.relu(h)
        return h.sum().item() + self.helper()

    def helper(self):
        return 0.0
'''


def messages(target: str) -> list[str]:
    _, report = convert(SOURCE, "torch", target, path="net.py")
    return [str(d) for d in report.diagnostics]


def test_lifecycle_reports_attribute_never_set():
    found = [m for m in messages("flax_nnx") if "never set in __init__" in m]
    assert found == ["net.py:15:9: warning: self.bias is used in forward of Net but never set in __init__"], found


def test_purity_scanner_for_jax_targets():
    found = [m for m in messages("jax") if "impure" in m]
    assert any(m.startswith("net.py:14:9:") and "print()" in m for m in found), found
    assert any(m.startswith("net.py:16:9:") and "self.calls" in m for m in found), found
    assert any(m.startswith("net.py:19:16:") and ".item()" in m for m in found), found
    # A target with mutable state (Keras) has no jit to break: nothing reported.
    assert not [m for m in messages("keras") if "impure" in m]


def test_dependency_scanner_reports_third_party_imports():
    found = [m for m in messages("flax_nnx") if "dependency" in m]
    want = ("net.py:2:1: warning: unmapped dependency 'einops': no framework of the ontology owns it; "
            "its uses are kept as written")
    assert found == [want], found
