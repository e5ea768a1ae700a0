"""Make the fetched torchvision model files importable without torchvision installed.

``fetch_real_models.sh`` fetches torchvision's ``models/*.py`` (never committed) into
``$SWC_REAL_MODELS`` (default ``~/.cache/switcheroo/real_models``). Those files import a
few torchvision modules from outside ``models/``; :func:`torchvision_package` builds a
``torchvision`` package in a temporary directory holding the model files and small
stand-ins for those modules: usage logging, transform presets, the download helper,
``_utils.sequence_to_str``, ``utils._make_ntuple``. ``ops/misc.py`` (``Conv2dNormActivation``,
which mobilenetv2 builds on) is the fetched file when ``fetch_real_models.sh`` got torchvision's
``ops/``, else a stand-in (a real ``nn.Sequential`` of convolution, norm and activation, as
torchvision's is). Neither side of a test calls the other stand-ins in a forward pass.

    with torchvision_importable(tmp_path) as tv:
        net = tv.build("resnet", "resnet18", num_classes=10)
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# path inside the package -> text. Everything under models/ is the fetched files.
STUBS = {
    "__init__.py": "",
    "utils.py": (
        "import collections.abc\nimport itertools\n\n\n"
        "def _log_api_usage_once(obj):\n    pass\n\n\n"
        "def _make_ntuple(x, n):\n"
        "    if isinstance(x, collections.abc.Iterable):\n        return tuple(x)\n"
        "    return tuple(itertools.repeat(x, n))\n"
    ),
    "_utils.py": "def sequence_to_str(seq, separate_last=''):\n    return ', '.join(map(str, seq))\n",
    "_internally_replaced_utils.py": (
        "def load_state_dict_from_url(*args, **kwargs):\n"
        "    raise RuntimeError('no downloads: torchvision is stubbed for tests')\n"
    ),
    "transforms/__init__.py": "",
    "transforms/_presets.py": (
        "class ImageClassification:\n    def __init__(self, *args, **kwargs):\n        pass\n"
    ),
    "ops/__init__.py": "",
    "ops/misc.py": '''import torch


class Conv2dNormActivation(torch.nn.Sequential):
    """Convolution, then an optional norm layer, then an optional activation."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None,
                 groups=1, norm_layer=torch.nn.BatchNorm2d, activation_layer=torch.nn.ReLU,
                 dilation=1, inplace=True, bias=None):
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers = [torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                                  dilation=dilation, groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            kwargs = {} if inplace is None else {"inplace": inplace}
            layers.append(activation_layer(**kwargs))
        super().__init__(*layers)
        self.out_channels = out_channels
''',
}


def real_models_root() -> Path:
    """Where the fetched real-model sources live."""
    default = Path("~/.cache/switcheroo/real_models")
    return Path(os.environ.get("SWC_REAL_MODELS", default)).expanduser()


def torchvision_models() -> Path:
    """The fetched ``torchvision/models`` directory (it may not exist)."""
    return real_models_root() / "torchvision" / "models"


def torchvision_package(root: Path, extra: dict[str, str] | None = None, package: str = "torchvision") -> Path:
    """Write a ``torchvision`` package under ``root``: the fetched model files, the
    stand-ins, and ``extra`` (path inside the package -> text, e.g. a converted file).
    ``package`` names it otherwise: a converted twin (``torchvision_flax_nnx``) holds the
    converted files under their own names, and their relative imports find each other."""
    pkg = root / package
    for rel, text in {**STUBS, "models/__init__.py": "", **(extra or {})}.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    for src in torchvision_models().glob("*.py"):
        if src.name != "__init__.py" and not (pkg / "models" / src.name).exists():
            shutil.copy(src, pkg / "models" / src.name)
    misc = torchvision_models().parent / "ops" / "misc.py"
    if misc.exists() and "ops/misc.py" not in (extra or {}):
        shutil.copy(misc, pkg / "ops" / "misc.py")  # the fetched file replaces the stand-in
    return pkg


class Torchvision:
    """The stubbed package, importable while the context is open."""

    def __init__(self, package: str = "torchvision") -> None:
        self.package = package

    def module(self, name: str) -> Any:
        """``torchvision.models.<name>``."""
        return importlib.import_module(f"{self.package}.models.{name}")

    def build(self, name: str, builder: str, **kwargs: Any) -> Any:
        """A model with random weights, e.g. ``build("resnet", "resnet18")``."""
        return getattr(self.module(name), builder)(**kwargs)


@contextmanager
def torchvision_importable(
    root: Path, extra: dict[str, str] | None = None, package: str = "torchvision"
) -> Iterator[Torchvision]:
    """Build the package under ``root`` and make ``import torchvision`` (or ``package``)
    find it; the modules are forgotten again on exit."""
    torchvision_package(root, extra, package)
    sys.path.insert(0, str(root))
    try:
        yield Torchvision(package)
    finally:
        sys.path.remove(str(root))
        for mod in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[mod]


# A relative import of a torchvision module outside models/ that holds layers (``from
# ..ops.misc import Conv2dNormActivation``): the file is converted with the model.
_SIBLING = re.compile(r"^from \.\.(ops\.\w+) import", re.MULTILINE)


def converted_twin(name: str, dst: str) -> tuple[dict[str, str], list[str]]:
    """The files of the converted twin package for the model file ``name``: the model and
    the torchvision files outside ``models/`` it imports (``ops/misc.py``), each converted
    to ``dst`` from where it lies, so the converter reads the classes one imports from the
    other; and the warnings of the model's own conversion."""
    from tests.python.helpers import convert

    src = torchvision_models() / f"{name}.py"
    text = src.read_text()
    files: dict[str, str] = {}
    code, report = convert(text, "torch", dst, path=str(src))
    files[f"models/{name}.py"] = code
    for module in _SIBLING.findall(text):
        rel = module.replace(".", "/") + ".py"
        sibling = torchvision_models().parent / rel
        if sibling.exists():
            files[rel], _ = convert(sibling.read_text(), "torch", dst, path=str(sibling))
    return files, [str(d) for d in report.diagnostics if d.severity == "warning"]
