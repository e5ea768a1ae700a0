"""Every corpus model converts to numpy and paxml without a crash; whatever a target cannot
express is kept and marked ``# swc: unmapped``, never dropped."""

from __future__ import annotations

import ast

import pytest

from tests.python.helpers import convert
from tests.python.test_models import CASES

FILES = sorted({case[0] for case in CASES.values()})


@pytest.mark.parametrize("target", ["numpy", "paxml"])
@pytest.mark.parametrize("file", FILES, ids=lambda f: f.stem)
def test_converts_and_marks(file, target):
    code, report = convert(file.read_text(), "torch", target, path=file.name)
    ast.parse(code)  # valid Python
    for d in report.diagnostics:
        if d.severity == "warning" and d.message.startswith("unmapped "):
            api = d.message.split()[1].rstrip(":")
            assert f"# swc: unmapped {api}" in code, d
    source_classes = {n.name for n in ast.parse(file.read_text()).body if isinstance(n, ast.ClassDef)}
    assert source_classes <= {n.name for n in ast.parse(code).body if isinstance(n, ast.ClassDef)}
