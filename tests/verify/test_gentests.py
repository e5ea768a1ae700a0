"""`swc gen-tests` writes standalone pytest files that pass (and xfail the wrong mapping)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from switcheroo.ontology.verify.cli import app
from typer.testing import CliRunner

pytest.importorskip("torch")


def test_generated_files_run_standalone(wrong_ontology, tmp_path):
    out = tmp_path / "generated"
    res = CliRunner().invoke(
        app,
        [
            "gen-tests",
            "--data-dir",
            str(wrong_ontology[0].parent),
            "--frameworks",
            "numpy,torch",
            "--out",
            str(out),
            "--examples",
            "2",
        ],
    )
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in out.glob("test_*.py"))
    assert names == ["test_mean.py", "test_subtract.py", "test_swapaxes.py"]
    text = (out / "test_subtract.py").read_text()
    assert "switcheroo" not in text.split('"""', 2)[2]  # needs only numpy, pytest, frameworks
    assert "xfail(strict=True" in text  # torch.add is not subtract
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert " failed" not in run.stdout.splitlines()[-1] and "xfailed" in run.stdout


def test_gen_tests_bad_out(wrong_ontology, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = CliRunner().invoke(
        app,
        [
            "gen-tests",
            "--data-dir",
            str(wrong_ontology[0].parent),
            "--frameworks",
            "numpy,torch",
            "--out",
            str(blocker),
        ],
    )
    assert res.exit_code == 2 and "not a folder" in res.output
