"""Converted code passes ``ruff check`` for undefined names (F821) and unused imports
(F401): every model of the corpus, to every target."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.python.helpers import convert

MODELS = sorted((Path(__file__).parent / "models").glob("*_torch.py"))
TARGETS = ["flax_nnx", "jax", "keras", "tensorflow", "mlx"]


def _ruff() -> list[str]:
    exe = shutil.which("ruff")
    if exe:
        return [exe]
    pytest.importorskip("ruff")
    return [sys.executable, "-m", "ruff"]


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_converted_corpus_is_lint_clean(tmp_path, target):
    assert MODELS, "the model corpus is empty"
    for model in MODELS:
        code, _ = convert(model.read_text(), "torch", target, path=model.name)
        (tmp_path / f"{model.stem}_{target}.py").write_text(code)
    run = subprocess.run([*_ruff(), "check", "--isolated", "--select", "F401,F821", "--output-format",
                          "concise", str(tmp_path)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_lint_catches_a_leftover(tmp_path):
    """The check itself works: an unused import and an undefined name are found."""
    (tmp_path / "bad.py").write_text("import os\n\nx = torch.zeros(3)\n")
    run = subprocess.run([*_ruff(), "check", "--isolated", "--select", "F401,F821", str(tmp_path)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1 and "F401" in run.stdout and "F821" in run.stdout
