"""``transfer`` on the real torchvision models (tests/real_models.py makes them importable).

The torch side is always built (random weights) and must transfer into a second copy
bit for bit. Torch -> flax_nnx runs on the file ``swc-translate`` converts, when that
conversion works; otherwise the test is skipped with the reason.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from switcheroo.weights import transfer

from tests.real_models import torchvision_importable, torchvision_models

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


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODELS))
def test_torch_to_converted_flax_matches(tmp_path, name: str) -> None:
    _need(name)
    nnx = pytest.importorskip("flax.nnx")
    from tests.python.helpers import convert

    builder, shape = MODELS[name]
    source = (torchvision_models() / f"{name}.py").read_text()
    try:
        code, report = convert(source, "torch", "flax_nnx", path=f"torchvision/models/{name}.py")
    except Exception as err:  # noqa: BLE001 -- any converter failure is the skip reason
        pytest.skip(f"swc-translate fails on {name}.py: {type(err).__name__}: {err}")
    warnings = [str(d) for d in report.diagnostics if d.severity == "warning"]
    if warnings:
        pytest.skip(f"swc-translate converts {name}.py with warnings: {warnings[0]}")
    extra = {f"models/{name}_flax_nnx.py": code}
    with torchvision_importable(tmp_path, extra) as tv:
        torch.manual_seed(0)
        src = tv.build(name, builder, num_classes=10).eval()
        # Both files register the same builder names with torchvision's registry.
        tv.module("_api").BUILTIN_MODELS.clear()
        try:
            dst = tv.build(f"{name}_flax_nnx", builder, num_classes=10, rngs=nnx.Rngs(0))
        except Exception as err:  # noqa: BLE001 -- the converted file's failure is the reason
            pytest.skip(f"converted {name}.py does not build: {type(err).__name__}: {err}")
    dst.eval()
    report = transfer(src, dst, src="torch", dst="flax_nnx")
    assert report.ok, report.lines()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        want = src(torch.from_numpy(x)).numpy()
    got = np.asarray(dst(x))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
