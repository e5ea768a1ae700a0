"""Bad input: one line with a location, a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def run(tool: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / tool), *args], input=stdin, capture_output=True, text=True, timeout=120)


def assert_one_line_error(p: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert p.returncode != 0
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, p.stderr
    for n in needles:
        assert n in lines[0], lines[0]


MLIR = '"test.op"() : () -> ()\n'


def test_unknown_pass():
    assert_one_line_error(run("swc-opt", "-p", "no-such-pass", stdin=MLIR), "no-such-pass")


def test_bad_pass_option():
    assert_one_line_error(run("swc-opt", "-p", "raise-fw-to-hub{frobnicate=1}", stdin=MLIR), "frobnicate")


def test_unparsable_mlir(tmp_path):
    f = tmp_path / "bad.mlir"
    f.write_text('"test.op"() : () -> (\n')
    assert_one_line_error(run("swc-opt", str(f)), "bad.mlir:")


def test_unparsable_python(tmp_path):
    f = tmp_path / "bad.py"
    f.write_text("import torch\ndef f(x:\n    return x\n")
    p = run("swc-translate", str(f), "--from", "torch", "--to", "jax")
    assert_one_line_error(p, "bad.py:3:")


@pytest.mark.parametrize("flag", ["--from", "--to"])
def test_unknown_framework(tmp_path, flag):
    f = tmp_path / "m.py"
    f.write_text("x = 1\n")
    args = {"--from": "torch", "--to": "jax"}
    args[flag] = "caffe"
    p = run("swc-translate", str(f), "--from", args["--from"], "--to", args["--to"])
    assert_one_line_error(p, "caffe")


def test_missing_file(tmp_path):
    assert_one_line_error(run("swc-translate", str(tmp_path / "nope.py"), "--from", "torch", "--to", "jax"), "nope.py")
    assert_one_line_error(run("swc-opt", str(tmp_path / "nope.mlir")), "nope.mlir")


def test_no_half_written_output(tmp_path):
    f = tmp_path / "bad.py"
    f.write_text("def f(:\n")
    out = tmp_path / "out.py"
    run("swc-translate", str(f), "--from", "torch", "--to", "jax", "-o", str(out))
    assert not out.exists() and not list(tmp_path.glob(".out.py*"))
