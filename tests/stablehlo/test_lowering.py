"""--from torch --to stablehlo: the emitted StableHLO parses and verifies in jaxlib and,
compiled and run by XLA with the torch model's weights, computes what torch computes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from switcheroo.diagnostics import Report, SwcError
from switcheroo.translate_main import Translator

from tests.stablehlo.oracle import jaxlib_verifies, run_with_jax

MODELS = Path(__file__).parent / "models"
RTOL, ATOL = 1e-5, 1e-5
# model file -> (class, input shape)
CASES = {
    "mlp_torch.py": ("MLP", (8, 16)),
    "cnn_torch.py": ("CNN", (2, 3, 16, 16)),
    "block_torch.py": ("Block", (2, 8, 32)),
}


def lower(path: Path, shapes: str) -> str:
    return Translator("torch", "stablehlo", input_shapes=shapes).run(path.read_text(), str(path), Report())


def _load_class(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(f"swc_test_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, name)


@pytest.mark.frameworks
@pytest.mark.parametrize("file", sorted(CASES))
def test_torch_model_lowers_to_stablehlo_that_matches(file: str) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("jax")
    cls_name, in_shape = CASES[file]
    path = MODELS / file
    text = lower(path, "x".join(map(str, in_shape)))
    jaxlib_verifies(text)

    torch.manual_seed(0)
    model = _load_class(path, cls_name)().eval()
    x = torch.randn(*in_shape)
    with torch.no_grad():
        want = model(x).numpy()
    params = [p.detach().numpy() for p in model.state_dict().values()]
    (got,) = run_with_jax(text, [x.numpy(), *params])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_parameters_are_named_arguments_in_state_dict_order() -> None:
    text = lower(MODELS / "block_torch.py", "2x8x32")
    head = text.splitlines()[1]
    names = [a.split(":")[0].strip() for a in head[head.index("(") + 1 : head.index(") ->")].split("%")[1:]]
    assert names[:4] == ["x", "ln1_weight", "ln1_bias", "attn_q_weight"]
    assert names[-1] == "fc2_bias"


def test_missing_input_shape_is_one_line_error() -> None:
    with pytest.raises(SwcError, match=r"takes 1 input\(s\) \(x\); give their shapes"):
        lower(MODELS / "mlp_torch.py", "")


def test_unmapped_call_is_reported_with_its_location(tmp_path: Path) -> None:
    src = (MODELS / "mlp_torch.py").read_text().replace("F.relu(self.fc1(x))", "self.fc1(x).chunk(1)[0]")
    f = tmp_path / "m.py"
    f.write_text(src)
    with pytest.raises(SwcError, match=r"m\.py:\d+:\d+: error: "):
        lower(f, "8x16")
