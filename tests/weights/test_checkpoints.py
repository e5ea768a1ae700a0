"""Checkpoint conversion: every format, streaming, sharding, the report, the script."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nnx = pytest.importorskip("flax.nnx")
from switcheroo.backends.weights.cli import app
from switcheroo.backends.weights.modelfile import build_model
from switcheroo.weights import load_checkpoint
from typer.testing import CliRunner

MODELS = Path(__file__).parent / "models"
TORCH_NET, FLAX_NET, KERAS_NET = (
    str(MODELS / f) for f in ("torch_net.py", "flax_net.py", "keras_net.py")
)
X = np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype(np.float32)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    """A torch Net with non-trivial weights and statistics, and its state_dict file."""
    net = build_model(TORCH_NET, "torch", abstract=False)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.2)
    net.train()
    net(torch.randn(4, 3, 4, 4) * 2 + 1)
    net.eval()
    path = tmp_path_factory.mktemp("ckpt") / "net.pth"
    torch.save(net.state_dict(), path)
    return net, path


def _torch_out(net: object) -> np.ndarray:
    with torch.no_grad():
        return net(torch.from_numpy(X)).numpy()  # type: ignore[operator]  # a torch module


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.mark.parametrize("out_name", ["out.npz", "out.safetensors", "orbax_out"])
def test_torch_checkpoint_to_flax_formats(trained, tmp_path: Path, out_name: str) -> None:
    net, ckpt = trained
    out = tmp_path / out_name
    code, text = _cli(
        "convert", ckpt, "--from", "torch", "--to", "flax_nnx", "--model", TORCH_NET, "-o", out
    )
    assert code == 0, text
    dst = build_model(FLAX_NET, "flax_nnx", abstract=False)
    assert load_checkpoint(dst, out, "flax_nnx").copied == 32
    np.testing.assert_allclose(np.asarray(dst(X)), _torch_out(net), rtol=1e-5, atol=1e-5)
    assert [p.name for p in tmp_path.iterdir()] == [out_name]  # no temporaries left


def test_stream_sharded_safetensors_matches(trained, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    net, ckpt = trained
    sd = {k: v.contiguous() for k, v in net.state_dict().items()}
    keys = sorted(sd)
    shards = {"a.safetensors": keys[: len(keys) // 2], "b.safetensors": keys[len(keys) // 2 :]}
    for name, ks in shards.items():
        save_file({k: sd[k] for k in ks}, tmp_path / name)
    index = {"weight_map": {k: name for name, ks in shards.items() for k in ks}}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    base = ("--from", "torch", "--to", "flax_nnx", "--model", TORCH_NET)
    assert (
        _cli(
            "convert",
            tmp_path / "model.safetensors.index.json",
            *base,
            "--stream",
            "-o",
            tmp_path / "s.npz",
        )[0]
        == 0
    )
    assert _cli("convert", ckpt, *base, "-o", tmp_path / "p.npz")[0] == 0
    a, b = np.load(tmp_path / "s.npz"), np.load(tmp_path / "p.npz")
    assert sorted(a.files) == sorted(b.files)
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k])


def test_stream_safetensors_to_orbax_by_kernel_copy(trained, tmp_path: Path) -> None:
    """Mapped safetensors -> Orbax: kernel-copied shard files (Linear) beside TensorStore
    writes (conv permutations), restored by a plain Orbax restore, bit-exact."""
    import orbax.checkpoint as ocp
    from safetensors.torch import save_file

    net, ckpt = trained
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, tmp_path / "m.safetensors")
    base = ("--from", "torch", "--to", "flax_nnx", "--model", TORCH_NET)
    src = tmp_path / "m.safetensors"
    assert _cli("convert", src, *base, "--stream", "-o", tmp_path / "s_orbax")[0] == 0
    assert _cli("convert", ckpt, *base, "-o", tmp_path / "p.npz")[0] == 0
    assert list((tmp_path / "s_orbax").glob("*/c/0/0"))  # a zarr v3 shard per matrix
    with ocp.StandardCheckpointer() as reader:
        tree = reader.restore((tmp_path / "s_orbax").resolve())
    flat: dict[str, np.ndarray] = {}

    def walk(node: object, prefix: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{prefix}{k}.")
        else:
            flat[prefix[:-1]] = np.asarray(node)

    walk(tree, "")
    want = np.load(tmp_path / "p.npz")
    assert sorted(flat) == sorted(want.files)
    for k in want.files:
        np.testing.assert_array_equal(flat[k], want[k])
    dst = build_model(FLAX_NET, "flax_nnx", abstract=False)
    assert load_checkpoint(dst, tmp_path / "s_orbax", "flax_nnx").copied == 32
    np.testing.assert_allclose(np.asarray(dst(X)), _torch_out(net), rtol=1e-5, atol=1e-5)


def test_checkpoint_round_trip_bit_identical(trained, tmp_path: Path) -> None:
    net, ckpt = trained
    mid, back = tmp_path / "mid.safetensors", tmp_path / "back.pth"
    assert (
        _cli(
            "convert", ckpt, "--from", "torch", "--to", "flax_nnx", "--model", TORCH_NET, "-o", mid
        )[0]
        == 0
    )
    code, text = _cli(
        "convert", mid, "--from", "flax_nnx", "--to", "torch", "--model", FLAX_NET, "-o", back
    )
    assert code == 0, text
    sd, orig = torch.load(back, weights_only=True), net.state_dict()
    for k, v in sd.items():
        if not k.startswith("lstm.bias"):  # nnx.LSTMCell holds b_ih + b_hh as one bias
            assert torch.equal(v, orig[k]), k
    restored = build_model(TORCH_NET, "torch", abstract=False)
    restored.load_state_dict(sd, strict=False)
    np.testing.assert_allclose(_torch_out(restored.eval()), _torch_out(net), rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_keras_weights_h5(trained, tmp_path: Path) -> None:
    pytest.importorskip("keras")
    net, ckpt = trained
    out = tmp_path / "net.weights.h5"
    code, text = _cli(
        "convert",
        ckpt,
        "--from",
        "torch",
        "--to",
        "keras",
        "--model",
        TORCH_NET,
        "--target-model",
        f"{KERAS_NET}:build",
        "-o",
        out,
    )
    assert code == 0, text
    fresh = build_model(f"{KERAS_NET}:build", "keras", abstract=False)
    fresh.load_weights(str(out))
    got = np.asarray(fresh(X, training=False))
    np.testing.assert_allclose(got, _torch_out(net), rtol=1e-5, atol=1e-5)


def test_missing_key_fails_and_writes_nothing(trained, tmp_path: Path) -> None:
    net, _ = trained
    sd = net.state_dict()
    del sd["head.bias"]
    sd["stray"] = torch.zeros(2)
    ckpt = tmp_path / "bad.pth"
    torch.save(sd, ckpt)
    out = tmp_path / "out.npz"
    base = ("convert", ckpt, "--from", "torch", "--to", "flax_nnx", "--model", TORCH_NET, "-o", out)
    code, text = _cli(*base)
    assert code == 1 and not out.exists()
    assert "missing: head.bias (checkpoint lacks head.bias)" in text and "unexpected: stray" in text
    assert "Traceback" not in text
    code, _ = _cli(*base, "--allow-partial")
    assert (
        code == 0 and "head.kernel" in np.load(out).files and "head.bias" not in np.load(out).files
    )


@pytest.mark.parametrize("args", [("nope.pth",), ("--model", "nope.py")])
def test_bad_input_is_one_line(trained, tmp_path: Path, args: tuple[str, ...]) -> None:
    _, ckpt = trained
    full = [
        "convert",
        ckpt,
        "--from",
        "torch",
        "--to",
        "flax_nnx",
        "--model",
        TORCH_NET,
        "-o",
        tmp_path / "o.npz",
    ]
    if args[0] == "nope.pth":
        full[1] = tmp_path / "nope.pth"
    else:
        full[full.index("--model") + 1] = tmp_path / "nope.py"
    code, text = _cli(*full)
    assert code == 2 and text.strip().count("\n") == 0 and text.startswith("swc weights: error:")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_script_is_standalone_and_matches_convert(trained, tmp_path: Path) -> None:
    _, ckpt = trained
    script = tmp_path / "migrate.py"
    assert _cli("script", TORCH_NET, "--from", "torch", "--to", "jax", "-o", script)[0] == 0
    text = script.read_text()
    assert not re.search(r"^\s*(from|import) switcheroo", text, re.MULTILINE)
    run = subprocess.run(
        [sys.executable, "-I", script, ckpt, tmp_path / "s.npz"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert (
        _cli(
            "convert",
            ckpt,
            "--from",
            "torch",
            "--to",
            "jax",
            "--model",
            TORCH_NET,
            "-o",
            tmp_path / "c.npz",
        )[0]
        == 0
    )
    a, b = np.load(tmp_path / "s.npz"), np.load(tmp_path / "c.npz")
    assert sorted(a.files) == sorted(b.files) and all(np.array_equal(a[k], b[k]) for k in a.files)
