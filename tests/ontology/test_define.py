"""``swc define``: dry run, apply, and the generated verification test, on a scratch copy."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from switcheroo.ontology.loader import DATA_DIR, build_ontology, data_files
from switcheroo.ontology.tools import define

NEW_OP = """ops:
  - operation: expit
    description: 1 / (1 + exp(-x)), the logistic function under its scipy name.
    std_args:
      - {name: x, type: Tensor}
    variants:
      torch: {api: torch.special.expit, args: {x: input}}
      jax: {api: jax.scipy.special.expit}
"""


@pytest.fixture
def scratch(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    op = tmp_path / "expit.yaml"
    op.write_text(NEW_OP)
    return data, op, tmp_path / "gen"


def test_dry_run_writes_nothing(scratch):
    data, op, gen = scratch
    before = {p: p.read_text() for p in data_files(data)}
    plan = define.plan(op, data)
    assert "+  - operation: expit" in plan.diff
    assert "+  expit: {api: torch.special.expit, args: {x: input}}" in plan.diff
    assert {p: p.read_text() for p in data_files(data)} == before
    assert not gen.exists()


def test_apply_then_loads(scratch):
    data, op, gen = scratch
    written = define.apply(define.plan(op, data), gen)
    onto = build_ontology(data_files(data))
    assert set(onto.specs["expit"].variants) == {"torch", "jax"}
    assert (gen / "test_defined_expit.py") in written
    with pytest.raises(Exception, match="already mapped"):
        define.plan(op, data)


@pytest.mark.slow
def test_generated_test_passes(scratch):
    pytest.importorskip("torch")
    pytest.importorskip("jax")
    data, op, gen = scratch
    define.apply(define.plan(op, data), gen)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(gen / "test_defined_expit.py"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-2000:]
    assert "2 passed" in out.stdout
