"""torch -> X -> torch for every target X: the model converted back from switcheroo's own
output must compute what the source computes (weights migrated torch -> X -> torch), and
the file converted back must be lint clean."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.python.harness import round_trip
from tests.python.test_models import _IMPORT, CASES, GAPS, TARGETS

pytest.importorskip("torch")

# (case, X) -> why torch -> X -> torch is not built yet (pairs of GAPS are skipped too:
# their forward conversion is the gap). NumPy holds parameters and buffers alike as plain
# arrays: a buffer's line says so in a comment, read back (passes/array_state.py).
ROUND_TRIP_GAPS: dict[tuple[str, str], str] = {}


def _ruff_clean(code: str, tmp_path, name: str) -> None:
    exe = shutil.which("ruff")
    cmd = [exe] if exe else [sys.executable, "-m", "ruff"]
    file = tmp_path / f"{name}_lint.py"
    file.write_text(code)
    run = subprocess.run([*cmd, "check", "--isolated", "--select", "F401,F821", "--output-format", "concise",
                          str(file)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("via", TARGETS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_round_trip(tmp_path, case, via):
    pytest.importorskip(_IMPORT[via])
    for gaps in (GAPS, ROUND_TRIP_GAPS):
        if (case, via) in gaps:
            pytest.skip(gaps[(case, via)])
    file, cls, args, shape, *vocab = CASES[case]
    want, middle, back, code = round_trip(file.read_text(), cls, args, shape, via, tmp_path, case, *vocab)
    np.testing.assert_allclose(middle, want, rtol=1e-5, atol=1e-5)
    assert back.shape == want.shape
    np.testing.assert_allclose(back, want, rtol=1e-5, atol=1e-5)
    _ruff_clean(code, tmp_path, f"{case}_{via}")
