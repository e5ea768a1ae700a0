"""A deliberately wrong mapping is caught, with a shrunk, runnable counterexample."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from switcheroo.ontology.loader import build_ontology
from switcheroo.ontology.verify.check import verify_op
from switcheroo.ontology.verify.cli import app
from switcheroo.ontology.verify.runner import VerifyOptions, verify_ontology
from typer.testing import CliRunner

torch = pytest.importorskip("torch")


def test_wrong_mapping_is_caught_with_a_counterexample(wrong_ontology):
    spec = build_ontology(wrong_ontology).specs["subtract"]
    res = verify_op(spec, ["numpy", "torch"], max_examples=20)
    assert res["torch"].status == "failed" and res["torch"].reference == "numpy"
    assert "mismatch" in res["torch"].reason
    snippet = res["torch"].snippet
    assert "numpy.subtract(x1, x2)" in snippet
    assert "torch.add(torch.from_numpy(x1), torch.from_numpy(x2))" in snippet
    run = subprocess.run(
        [sys.executable, "-c", snippet], capture_output=True, text=True, timeout=120, check=True
    )  # the snippet runs as printed
    numpy_line, torch_line = run.stdout.splitlines()
    assert numpy_line.startswith("numpy") and torch_line.startswith("torch")
    # Shrunk: both inputs are 0-d, one of them zero.
    assert snippet.count("numpy.array(") == 2 and "0.0, dtype" in snippet


def test_right_mappings_verify(wrong_ontology):
    onto = build_ontology(wrong_ontology)
    for op in ("mean", "swapaxes"):
        res = verify_op(onto.specs[op], ["numpy", "torch"], max_examples=15)
        assert {r.status for r in res.values()} == {"verified"}, res
    layer = verify_op(onto.specs["Linear"], ["numpy", "torch"], max_examples=5)
    assert layer["torch"].status == "skipped" and "layer" in layer["torch"].reason


def test_report_and_known_failures(wrong_ontology, tmp_path):
    known = tmp_path / "known.yaml"
    known.write_text("known_failures:\n  subtract:\n    torch: accepted in this test\n")
    opts = VerifyOptions(
        frameworks=("numpy", "torch"), max_examples=10, files=wrong_ontology, known_failures=known
    )
    report = verify_ontology(opts)
    sub = report["ops"]["subtract"]["torch"]
    assert sub["status"] == "failed" and sub["known"] and sub["max_abs_err"] > 0
    assert report["ops"]["mean"]["numpy"]["status"] == "verified"
    s = report["summary"]
    # numpy, the only partner of the wrong torch subtract, fails with it (known, inherited)
    assert (s["verified"], s["failed"], s["failed_known"], s["skipped"]) == (4, 2, 2, 1)
    assert isinstance(report["wall_s"], float)


def test_cli_exit_codes_and_json(wrong_ontology, tmp_path):
    data = str(wrong_ontology[0].parent)
    report = tmp_path / "verified_ops.json"
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "verify",
            "--data-dir",
            data,
            "--frameworks",
            "numpy,torch",
            "--max-examples",
            "10",
            "--json-report",
            str(report),
            "-q",
        ],
    )
    assert res.exit_code == 1, res.output
    assert "FAILED subtract [torch]" in res.output and "torch.add(" in res.output
    shape = json.loads(report.read_text())
    assert set(shape) == {"ops", "summary", "wall_s"}
    assert shape["ops"]["swapaxes"]["torch"]["status"] == "verified"
    bad = runner.invoke(app, ["verify", "--data-dir", data, "--frameworks", "pytorch"])
    assert bad.exit_code == 2 and "unknown framework" in bad.output
    nothing = runner.invoke(app, ["verify", "--data-dir", data, "--ops", "nope*"])
    assert nothing.exit_code == 2 and len(nothing.output.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_crashing_framework_fails_only_its_op(wrong_ontology, tmp_path):
    specs = wrong_ontology[1].read_text() + "  - operation: crash\n    std_args: []\n"
    wrong_ontology[1].write_text(specs)
    for path, line in (
        (wrong_ontology[0], "  crash: {api: os.getpid}\n"),
        (wrong_ontology[2], "  crash: {api: os.abort}\n"),
    ):
        path.write_text(path.read_text() + line)
    opts = VerifyOptions(
        frameworks=("numpy", "torch"),
        workers=2,
        max_examples=5,
        files=wrong_ontology,
        known_failures=None,
    )
    report = verify_ontology(opts)
    crash = report["ops"]["crash"]
    assert "crashed the process" in crash["torch"]["reason"] and "numpy" in crash
    assert report["ops"]["mean"]["torch"]["status"] == "verified"
