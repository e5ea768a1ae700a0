"""swc-translate as users call it: files, stdin, directories, pipelines, IR dumps."""

from __future__ import annotations

from pathlib import Path

from tests.drivers.test_errors import run

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "mlp_torch.py"


def test_print_pipeline():
    p = run("swc-translate", "--from", "torch", "--to", "flax_nnx", "--print-pipeline")
    assert p.returncode == 0
    passes = [q.split("{")[0] for q in p.stdout.strip().replace("},", "},,").split(",,") for q in q.split(",")]
    passes = [q.split("{")[0] for q in passes if q]
    # The analyses and in-place unrolling read the source; the hub passes sit between raising and lowering.
    raise_at = passes.index("raise-fw-to-hub")
    assert {"scan-dependencies", "scan-purity", "track-lifecycle", "unroll-inplace"} <= set(passes[:raise_at])
    assert passes.index("rewrite-train-step") < passes.index("lower-hub-to-fw") < passes.index("thread-module-state")


def test_list():
    p = run("swc-translate", "--list")
    assert p.returncode == 0 and "framework -> framework" in p.stdout


def test_stdin_to_stdout():
    p = run("swc-translate", "-", "--from", "torch", "--to", "jax",
            stdin="import torch\n\ny = torch.relu(torch.ones(3))  # keep me\n")
    assert p.returncode == 0, p.stderr
    assert "jax.nn.relu(" in p.stdout and "# keep me" in p.stdout
    assert "import jax\n" in p.stdout and "import jax.nn\n" not in p.stdout and "import jax.numpy as jnp" in p.stdout


def test_dump_ir_after_all(tmp_path):
    out = tmp_path / "out.py"
    p = run("swc-translate", str(EXAMPLE), "--from", "torch", "--to", "flax_nnx", "-o", str(out),
            "--dump-ir-after-all", str(tmp_path / "ir"))
    assert p.returncode == 0, p.stderr
    stages = sorted(f.name for f in (tmp_path / "ir").iterdir())
    pipeline = run("swc-translate", "--from", "torch", "--to", "flax_nnx", "--print-pipeline").stdout.strip()
    names = [q.split("{")[0] for q in pipeline.replace("},", "},,").split(",,") for q in q.split(",")]
    names = [q.split("{")[0] for q in names if q]
    assert stages == ["00-frontend.mlir"] + [f"{i:02d}-{n}.mlir" for i, n in enumerate(names, 1)]
    raised = tmp_path / "ir" / f"{names.index('raise-fw-to-hub') + 1:02d}-raise-fw-to-hub.mlir"
    assert '"hub.Linear"' in raised.read_text()
    # Any stage replays through swc-opt.
    q = run("swc-opt", str(raised), "-p", "lower-hub-to-fw{framework=flax_nnx}")
    assert q.returncode == 0, q.stderr
    assert "flax.nnx.Linear" in q.stdout


def test_directory_mirrors_tree(tmp_path):
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "a.py").write_text("import torch\nz = torch.relu(torch.ones(2))\n")
    (src / "b.py").write_text("def broken(:\n")
    p = run("swc-translate", str(src), "--from", "torch", "--to", "jax", "-o", str(tmp_path / "out"))
    assert (tmp_path / "out" / "pkg" / "a.py").exists()
    assert not (tmp_path / "out" / "b.py").exists()
    assert "1 converted, 1 failed" in p.stderr
    assert p.returncode == 1


def test_unmapped_is_marked_and_reported(tmp_path):
    p = run("swc-translate", "-", "--from", "torch", "--to", "jax",
            stdin="import torch\n\ny = torch.frobnicate(3)\n")
    assert p.returncode == 0
    assert "# swc: unmapped torch.frobnicate" in p.stdout
    assert "torch.frobnicate(3)" in p.stdout
    assert "<stdin>:3:5: warning: unmapped torch.frobnicate" in p.stderr
