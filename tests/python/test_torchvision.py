"""The real torchvision model files convert to flax_nnx and, with the torch weights migrated
by ``switcheroo.weights.transfer``, give torch's outputs.

The files come from ``fetch_real_models.sh`` (torchvision 0.28 ``models/*.py`` and ``ops/*.py``,
never committed); the directory is ``$SWC_REAL_MODELS`` or ``~/.cache/switcheroo/real_models``.
The few torchvision modules outside ``models/`` that the files import (usage logging,
transform presets, the download helper) are stubbed by tests/real_models.py: they are plain
Python the converter passes through unchanged, and neither side calls them in a forward pass.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.python.harness import make_input
from tests.python.helpers import convert
from tests.real_models import converted_twin, torchvision_package

pytest.importorskip("torch")
pytest.importorskip("flax.nnx")

ROOT = Path(os.environ.get("SWC_REAL_MODELS", "~/.cache/switcheroo/real_models")).expanduser() / "torchvision"

# file -> (builder, its keyword arguments, input shape). alexnet and vgg pool adaptively
# to 6x6 / 7x7: the input gives their features exactly that size (equal bins).
CASES = {
    "alexnet": ("alexnet", {"num_classes": 10}, (1, 3, 224, 224)),
    "vgg": ("vgg11", {"num_classes": 10}, (1, 3, 224, 224)),
    "resnet": ("resnet18", {"num_classes": 10}, (1, 3, 64, 64)),
    "squeezenet": ("squeezenet1_0", {"num_classes": 10}, (1, 3, 64, 64)),
    "densenet": ("densenet121", {"num_classes": 10}, (1, 3, 64, 64)),
    "mobilenetv2": ("mobilenet_v2", {"num_classes": 10}, (1, 3, 64, 64)),
}
# Conversions still to build (each a reason, not a tolerance).
GAPS: dict[str, str] = {}


# Files that build on torchvision modules outside models/ (mobilenetv2 on ops/misc.py's
# Conv2dNormActivation): converted with them into a twin package (tests/real_models.py).
TWINS = {"mobilenetv2"}


def _converted_twin(tmp_path: Path, name: str):
    """The converted model module, from the twin package ``torchvision_flax_nnx`` holding the
    converted file and the converted ``ops`` files it imports; each converted from where it
    lies, so the converter reads the classes the model imports where they are defined."""
    files, warnings = converted_twin(name, "flax_nnx")
    assert not warnings, warnings
    for rel, code in files.items():
        _assert_lint_clean(tmp_path / rel.replace("/", "_"), code)
    torchvision_package(tmp_path, files, package="torchvision_flax_nnx")
    return importlib.import_module(f"torchvision_flax_nnx.models.{name}")


def _package(tmp_path: Path, name: str, converted: str) -> Path:
    """A ``torchvision`` package holding the source files, the converted twin and stubs
    (tests/real_models.py: the fetched ``ops/misc.py`` where there is one)."""
    return torchvision_package(tmp_path, {f"models/{name}_flax_nnx.py": converted})


@pytest.fixture
def torchvision_path(tmp_path):
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for mod in [m for m in sys.modules if m.split(".")[0] in ("torchvision", "torchvision_flax_nnx")]:
        del sys.modules[mod]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_torchvision_to_flax_matches(torchvision_path, name):
    if not (ROOT / "models" / f"{name}.py").exists():
        pytest.skip(f"no torchvision sources under {ROOT} (run fetch_real_models.sh)")
    if name in GAPS:
        pytest.skip(GAPS[name])
    import torch
    from flax import nnx
    from switcheroo.weights import transfer

    builder, kwargs, shape = CASES[name]
    if name in TWINS:
        dst = _converted_twin(torchvision_path, name)
        torchvision_package(torchvision_path)
        src = importlib.import_module(f"torchvision.models.{name}")
    else:
        source = (ROOT / "models" / f"{name}.py").read_text()
        code, report = convert(source, "torch", "flax_nnx", path=f"torchvision/models/{name}.py")
        warnings = [str(d) for d in report.diagnostics if d.severity == "warning"]
        assert not warnings, warnings
        _assert_lint_clean(torchvision_path / f"{name}_flax_nnx.py", code)
        _package(torchvision_path, name, code)
        src = importlib.import_module(f"torchvision.models.{name}")
        # Both files register the same builder names with torchvision's model registry.
        importlib.import_module("torchvision.models._api").BUILTIN_MODELS.clear()
        dst = importlib.import_module(f"torchvision.models.{name}_flax_nnx")
    torch.manual_seed(0)
    ref = getattr(src, builder)(**kwargs).eval()
    model = getattr(dst, builder)(**kwargs, rngs=nnx.Rngs(0))
    model.eval()
    transfer(ref, model, src="torch", dst="flax_nnx")
    x = make_input(shape)
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    got = np.asarray(model(x))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def _assert_lint_clean(path: Path, code: str) -> None:
    """The converted file passes ``ruff check`` for unused imports and undefined names, as
    the corpus does (tests/python/test_lint.py)."""
    path.write_text(code)
    ruff = [shutil.which("ruff")] if shutil.which("ruff") else [sys.executable, "-m", "ruff"]
    run = subprocess.run([*ruff, "check", "--isolated", "--select", "F401,F821", "--output-format", "concise",
                          str(path)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.slow
@pytest.mark.parametrize("builder", ["vgg11", "vgg11_bn"])
def test_vgg_features_match(torchvision_path, builder):
    """``make_layers`` builds ``nn.Sequential(*layers)`` from a list and VGG receives it as
    ``features``: the container's members are followed through the list, the function's
    return and the constructor argument, so its call is permuted to NHWC; vgg11_bn's
    BatchNorm members too (``init_weights=False``: the init loop is not run on either side)."""
    if not (ROOT / "models" / "vgg.py").exists():
        pytest.skip(f"no torchvision sources under {ROOT} (run fetch_real_models.sh)")
    import torch
    from flax import nnx
    from switcheroo.weights import transfer

    source = (ROOT / "models" / "vgg.py").read_text()
    code, report = convert(source, "torch", "flax_nnx", path="torchvision/models/vgg.py")
    warnings = [str(d) for d in report.diagnostics if d.severity == "warning"]
    assert not warnings, warnings
    assert "nnx.Sequential(*layers)" in code
    _package(torchvision_path, "vgg", code)
    src = importlib.import_module("torchvision.models.vgg")
    importlib.import_module("torchvision.models._api").BUILTIN_MODELS.clear()
    dst = importlib.import_module("torchvision.models.vgg_flax_nnx")
    torch.manual_seed(0)
    ref = getattr(src, builder)(num_classes=10, init_weights=False).eval()
    model = getattr(dst, builder)(num_classes=10, init_weights=False, rngs=nnx.Rngs(0))
    model.eval()
    transfer(ref, model, src="torch", dst="flax_nnx")
    x = make_input((1, 3, 224, 224))
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    got = np.asarray(model(x))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_resnet_blocks_match(torchvision_path):
    """resnet's blocks take ``norm_layer``, ``nn.BatchNorm2d`` by default: the class as a
    value becomes ``partial(nnx.BatchNorm, ...)`` and its calls are BatchNorm layers (NHWC).
    ``_make_layer`` (a method) takes ``rngs`` and passes it to ``block(...)`` and
    ``conv1x1(...)``."""
    if not (ROOT / "models" / "resnet.py").exists():
        pytest.skip(f"no torchvision sources under {ROOT} (run fetch_real_models.sh)")
    import torch
    from flax import nnx
    from switcheroo.weights import transfer

    source = (ROOT / "models" / "resnet.py").read_text()
    code, report = convert(source, "torch", "flax_nnx", path="torchvision/models/resnet.py")
    warnings = [str(d) for d in report.diagnostics if d.severity == "warning"]
    assert not warnings, warnings
    assert "norm_layer = partial(nnx.BatchNorm, momentum=0.9, rngs=rngs)" in code
    assert "self._make_layer(block, 64, layers[0], rngs=rngs)" in code
    _package(torchvision_path, "resnet", code)
    src = importlib.import_module("torchvision.models.resnet")
    importlib.import_module("torchvision.models._api").BUILTIN_MODELS.clear()
    dst = importlib.import_module("torchvision.models.resnet_flax_nnx")
    for cls, args, channels in (("BasicBlock", (8, 8), 8), ("Bottleneck", (16, 4), 16)):
        torch.manual_seed(0)
        ref = getattr(src, cls)(*args).eval()
        model = getattr(dst, cls)(*args, rngs=nnx.Rngs(0))
        model.eval()
        transfer(ref, model, src="torch", dst="flax_nnx")
        x = make_input((2, channels, 8, 8))
        with torch.no_grad():
            want = ref(torch.from_numpy(x)).numpy()
        got = np.asarray(model(x))
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
