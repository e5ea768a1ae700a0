"""``transfer`` on the real torchvision models (tests/real_models.py makes them importable).

The torch side is always built (random weights) and must transfer into a second copy
bit for bit. Torch -> flax_nnx runs on the file ``swc-translate`` converts (with the
torchvision modules it imports, mobilenetv2's ``ops/misc.py``, in a twin package), when
that conversion works (otherwise the test is skipped with the reason): ``transfer`` and the
script ``swc weights script`` writes give torch's outputs, and torch -> flax_nnx -> torch
gives the weights back bit for bit.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from switcheroo.weights import transfer

from tests.real_models import converted_twin, torchvision_importable, torchvision_models

# file -> (builder, input shape). alexnet and vgg pool adaptively to 6x6 / 7x7: the
# input gives their features exactly that size.
MODELS = {
    "alexnet": ("alexnet", (1, 3, 224, 224)),
    "vgg": ("vgg11", (1, 3, 224, 224)),
    "resnet": ("resnet18", (1, 3, 64, 64)),
    "squeezenet": ("squeezenet1_0", (1, 3, 64, 64)),
    "densenet": ("densenet121", (1, 3, 64, 64)),
    "mobilenetv2": ("mobilenet_v2", (1, 3, 64, 64)),
}


def _need(name: str) -> None:
    if not (torchvision_models() / f"{name}.py").exists():
        pytest.skip("no torchvision sources (run fetch_real_models.sh; $SWC_REAL_MODELS)")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODELS))
def test_torch_side_builds_and_transfers_exactly(tmp_path, name: str) -> None:
    _need(name)
    builder, _ = MODELS[name]
    with torchvision_importable(tmp_path) as tv:
        torch.manual_seed(0)
        src = tv.build(name, builder, num_classes=10)
        torch.manual_seed(1)
        dst = tv.build(name, builder, num_classes=10)
    report = transfer(src, dst, src="torch", dst="torch")
    assert report.ok, report.lines()
    for (k, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items(), strict=True):
        if not k.endswith("num_batches_tracked"):
            assert torch.equal(a, b), k


@functools.cache
def _converted(name: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """(the files of the converted twin package for ``name``: the flax_nnx file
    ``swc-translate`` writes and those of the torchvision modules it imports, why they
    cannot be used or ""); converted once per session, the three tests below share them."""
    try:
        files, warnings = converted_twin(name, "flax_nnx")
    except Exception as err:  # noqa: BLE001 -- any converter failure is the skip reason
        return (), f"swc-translate fails on {name}.py: {type(err).__name__}: {err}"
    return tuple(files.items()), f"swc-translate converts {name}.py with warnings: {warnings[0]}" if warnings else ""


def _pair(tmp_path, name: str, copies: int = 1) -> tuple[Any, list[Any]]:
    """The torch model (seed 0, eval mode) and ``copies`` converted flax models, built from
    the twin package ``torchvision_flax_nnx`` (tests/real_models.py)."""
    nnx = pytest.importorskip("flax.nnx")
    _need(name)
    files, why = _converted(name)
    if why:
        pytest.skip(why)
    builder, _ = MODELS[name]
    with torchvision_importable(tmp_path / "torch") as tv:
        torch.manual_seed(0)
        src = tv.build(name, builder, num_classes=10).eval()
    with torchvision_importable(tmp_path / "flax", dict(files), package="torchvision_flax_nnx") as tv:
        try:
            dsts = [tv.build(name, builder, num_classes=10, rngs=nnx.Rngs(i)) for i in range(copies)]
        except Exception as err:  # noqa: BLE001 -- the converted file's failure is the reason
            pytest.skip(f"converted {name}.py does not build: {type(err).__name__}: {err}")
    for dst in dsts:
        dst.eval()
    return src, dsts


def _outputs(name: str, src: Any, dst: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).standard_normal(MODELS[name][1]).astype(np.float32)
    with torch.no_grad():
        want = src(torch.from_numpy(x)).numpy()
    return np.asarray(dst(x)), want


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODELS))
def test_torch_to_converted_flax_matches(tmp_path, name: str) -> None:
    src, (dst,) = _pair(tmp_path, name)
    report = transfer(src, dst, src="torch", dst="flax_nnx")
    assert report.ok, report.lines()
    got, want = _outputs(name, src, dst)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_through_converted_flax_is_bit_identical(tmp_path, name: str) -> None:
    src, (mid,) = _pair(tmp_path, name)
    with torchvision_importable(tmp_path / "back") as tv:
        torch.manual_seed(1)
        back = tv.build(name, MODELS[name][0], num_classes=10)
    transfer(src, mid, src="torch", dst="flax_nnx")
    report = transfer(mid, back, src="flax_nnx", dst="torch")
    assert report.ok, report.lines()
    for (k, a), (_, b) in zip(src.state_dict().items(), back.state_dict().items(), strict=True):
        if not k.endswith("num_batches_tracked"):
            assert a.dtype == b.dtype and torch.equal(a, b), k


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODELS))
def test_generated_script_matches_transfer(tmp_path, name: str) -> None:
    """``swc weights script`` (the same plan and text) run on the saved state_dict in a fresh
    interpreter; its output loaded into the converted model gives what ``transfer`` gives."""
    from switcheroo.backends.weights.convert import plan_from_models
    from switcheroo.backends.weights.script import render_script
    from switcheroo.weights import load_checkpoint

    src, (by_transfer, by_script) = _pair(tmp_path, name, copies=2)
    assert transfer(src, by_transfer, src="torch", dst="flax_nnx").ok
    ckpt, script, out = tmp_path / "in.pth", tmp_path / "migrate.py", tmp_path / "out.npz"
    torch.save(src.state_dict(), ckpt)
    cp = plan_from_models(src, "torch", "flax_nnx", by_script)
    assert cp.report.ok, cp.report.lines()
    script.write_text(render_script(cp, f"{name}.py", "torch", "flax_nnx"))
    run = subprocess.run([sys.executable, "-I", str(script), str(ckpt), str(out)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert load_checkpoint(by_script, out, "flax_nnx").ok
    got, want = _outputs(name, src, by_script)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got, _outputs(name, src, by_transfer)[0])
