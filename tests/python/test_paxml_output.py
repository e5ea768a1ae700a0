"""paxml as a target, checked structurally (praxis cannot be installed on Python 3.11): the
corpus converted to paxml is lint clean (F401/F821), and every praxis/paxml API the output
names, with every keyword it passes, exists in the ghost snapshot
(``ontology/snapshots/paxml.json``) unless its line is marked ``# swc: unmapped``."""

from __future__ import annotations

import ast

import pytest
from switcheroo.ontology import snapshots

from tests.python.helpers import convert
from tests.python.test_models import CASES
from tests.python.test_round_trips import _ruff_clean

FILES = sorted({case[0] for case in CASES.values()})
ROOTS = ("praxis", "paxml")
CONFIG = "praxis.pax_fiddle.Config"


def _imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> the qualified module or object it is bound to."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _qualified(node: ast.expr, names: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in names:
        return None
    return ".".join([names[node.id], *reversed(parts)])


def framework_calls(code: str) -> list[tuple[int, str, list[str]]]:
    """(line, qualified API, keyword names) of each call of a praxis/paxml API."""
    tree = ast.parse(code)
    names = _imports(tree)
    local = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (api := _qualified(node.func, names)) and api.split(".")[0] in ROOTS:
            if api == CONFIG and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in local:
                continue  # pax_fiddle.Config(FrozenBatchNorm2d, num_features=4): the file's own layer's fields
            if api == CONFIG and node.args and (built := _qualified(node.args[0], names)):
                api = built  # pax_fiddle.Config(Conv2D, filter_shape=...) configures Conv2D
            found.append((node.lineno, api, [k.arg for k in node.keywords if k.arg]))
    return found


@pytest.mark.parametrize("file", FILES, ids=lambda f: f.stem)
def test_paxml_output_is_clean_and_known(tmp_path, file):
    code, _ = convert(file.read_text(), "torch", "paxml", path=file.name)
    _ruff_clean(code, tmp_path, f"{file.stem}_paxml")
    lines = code.splitlines()
    unknown = []
    for line, api, keywords in framework_calls(code):
        if "# swc: unmapped" in lines[line - 1]:
            continue
        params = snapshots.signature("paxml", api)
        if params is None:
            unknown.append(f"{file.name}:{line}: {api} is not in the paxml snapshot")
            continue
        known = {p.name for p in params}
        unknown += [f"{file.name}:{line}: {api} takes no {k}" for k in keywords if k not in known]
    assert not unknown, "\n".join(unknown)


def test_the_check_sees_praxis_calls():
    """The walk resolves aliases: the corpus CNN's layers are found as praxis APIs."""
    code, _ = convert(CASES["cnn"][0].read_text(), "torch", "paxml", path="cnn.py")
    apis = {api for _, api, _ in framework_calls(code)}
    assert {"praxis.layers.Conv2D", "praxis.layers.FeedForward"} <= apis
    assert snapshots.signature("paxml", "praxis.layers.NoSuchLayer") is None


# praxis configures layers by dataclass fields whose defaults are placeholders (a 0 size, a
# shape of zeros, None): such a field is required in praxis terms and must be said.
def _placeholder(default: str) -> bool:
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError):
        return False
    if isinstance(value, tuple):
        return bool(value) and all(v == 0 for v in value)
    return value is None or (value == 0 and not isinstance(value, bool) and not isinstance(value, float))


_REQUIRED_NONE = {"boundaries", "values"}  # PiecewiseConstant raises without them


def required_fields(api: str) -> set[str]:
    """Fields of a praxis API that have no usable default (snapshot: none, or a placeholder)."""
    params = snapshots.signature("paxml", api) or []
    return {p.name for p in params if not p.has_default or (
        p.default is not None and _placeholder(p.default) and (p.default != "None" or p.name in _REQUIRED_NONE))}


@pytest.mark.parametrize("file", FILES, ids=lambda f: f.stem)
def test_paxml_calls_say_every_required_field(file):
    code, _ = convert(file.read_text(), "torch", "paxml", path=file.name)
    lines = code.splitlines()
    missing = []
    for line, api, keywords in framework_calls(code):
        if "# swc: unmapped" in lines[line - 1] or api.split(".")[1] not in ("layers", "schedules", "optimizers"):
            continue
        missing += [f"{file.name}:{line}: {api} is not given {n}" for n in sorted(required_fields(api) - set(keywords))]
    assert not missing, "\n".join(missing)


def test_required_fields_are_read_from_the_snapshot():
    assert {"filter_shape"} <= required_fields("praxis.layers.Conv2D")
    assert {"input_dims", "output_dims"} <= required_fields("praxis.layers.Linear")
    assert "padding" not in required_fields("praxis.layers.Conv2D")


def _layer(line: str) -> str:
    code, _ = convert(f"import torch\nimport torch.nn as nn\n\nlayer = {line}\n", "torch", "paxml")
    return code


EXPECTED = {
    "nn.Conv2d(3, 8, 3, padding=1)": "praxis_layers.Conv2D(bias=True, filter_shape=(3, 3, 3, 8))",
    "nn.Conv2d(3, 8, 3)": "padding='VALID'",
    "nn.Conv2d(3, 8, (3, 5), stride=2, bias=False)": "filter_shape=(3, 5, 3, 8)",
    "nn.Conv1d(4, 6, 5, padding=2)": "praxis_layers.Conv1D(bias=True, filter_shape=(5, 4, 6))",
    "nn.Dropout(0.1)": "praxis_layers.Dropout(keep_prob=0.9)",
    "nn.Dropout()": "keep_prob=0.5",
    "nn.BatchNorm2d(8, momentum=0.2)": "praxis_layers.BatchNorm(dim=8, decay=0.8, epsilon=1e-5)",
    "nn.BatchNorm2d(8)": "decay=0.9",
    "nn.Linear(16, 10)": "praxis_layers.FeedForward(\n    input_dims=16,\n    output_dims=10,\n    has_bias=True,\n"
                         "    activation_tpl=pax_fiddle.Config(praxis_layers.activations.Identity),\n)",
    "nn.Linear(16, 10, bias=False)": "has_bias=False",
    "torch.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=4)":
        "PiecewiseConstant(boundaries=[4], values=[0.5, 1.0])",
    "torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=4)": "Polynomial(start=(0, 1.0), limit=(4, 0.0))",
}


@pytest.mark.parametrize("source", list(EXPECTED))
def test_paxml_arguments_keep_their_meaning(source):
    assert EXPECTED[source] in _layer(source)


KEPT = [
    "nn.Conv2d(3, 8, 4, padding=1)",  # even kernel: no 'SAME' pads the same way
    "nn.Conv2d(3, 8, 3, stride=2, padding=1)",  # SAME with a stride depends on the input size
    "nn.Conv2d(3, 8, 3, groups=3)",
    "nn.Softplus(beta=2.0)",
    "torch.optim.SGD(params, lr=0.1, weight_decay=1e-4)",
    "torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=4, power=2.0)",
    "torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)",
]


@pytest.mark.parametrize("source", KEPT)
def test_paxml_keeps_what_praxis_cannot_say(source):
    code = _layer(source)
    line = next(ln for ln in code.splitlines() if ln.startswith("layer ="))
    assert "praxis" not in line


def test_module_classes_take_praxis_setup_form():
    """A torch module becomes a praxis layer: constructor arguments are annotated fields,
    children are built in setup() from pax_fiddle configurations, nothing stays marked."""
    code, diags = convert(CASES["cnn"][0].read_text(), "torch", "paxml", path="cnn.py")
    assert "class SmallCNN(base_layer.BaseLayer):" in code
    assert "    channels: int = 3\n    classes: int = 5\n" in code
    assert "    def setup(self):\n" in code and "__init__" not in code and "super()" not in code
    assert "self.create_child(\n            'conv1',\n            pax_fiddle.Config(" in code
    assert "filter_shape=(3, 3, self.channels, 8)" in code
    assert "# swc: unmapped" not in code and not diags.count("warning")


def test_a_constructor_praxis_cannot_say_is_kept_with_a_warning():
    src = ("import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self, *sizes):\n"
           "        super().__init__()\n        self.fc = nn.Linear(sizes[0], sizes[1])\n\n"
           "    def forward(self, x):\n        return self.fc(x)\n")
    code, diags = convert(src, "torch", "paxml", path="net.py")
    assert "def __init__(self, *sizes):" in code
    assert any("kept with __init__" in str(d) and "*sizes" in str(d) for d in diags.diagnostics)


def test_layer_lists_and_sequentials_are_configurations():
    code, _ = convert(CASES["layer_loop"][0].read_text(), "torch", "paxml", path="sequential.py")
    assert "self.create_children(\n            'blocks',\n            [\n                pax_fiddle.Config(" in code
    assert "for _ in range(self.depth)" in code
    assert "praxis_layers.Sequential,\n                layers=[\n                    pax_fiddle.Config(" in code
