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
    "slicing_torch.py": ("Slicing", (4, 8)),
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
        out = model(x)
    want = tuple(o.numpy() for o in out) if isinstance(out, tuple) else out.numpy()
    params = [p.detach().numpy() for p in model.state_dict().values()]
    got = run_with_jax(text, [x.numpy(), *params])
    wants = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(wants)
    for g, w in zip(got, wants, strict=True):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


@pytest.mark.frameworks
def test_embedding_and_batch_norm_in_eval_mode() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("jax")
    path = MODELS / "embedding_bn_torch.py"
    text = Translator("torch", "stablehlo", input_shapes="4x7xi32").run(path.read_text(), str(path), Report())
    jaxlib_verifies(text)
    torch.manual_seed(0)
    model = _load_class(path, "EmbedNorm")()
    with torch.no_grad():  # non-trivial running statistics
        model.bn.running_mean.uniform_(-1, 1)
        model.bn.running_var.uniform_(0.5, 2)
    model.eval()
    ids = torch.randint(0, 10, (4, 7), dtype=torch.int32)
    with torch.no_grad():
        want = model(ids).numpy()
    # num_batches_tracked is bookkeeping, not an input of the computation
    params = [p.numpy() for k, p in model.state_dict().items() if not k.endswith("num_batches_tracked")]
    (got,) = run_with_jax(text, [ids.numpy(), *params])
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.frameworks
def test_plain_jax_function_lowers_and_matches() -> None:
    jax = pytest.importorskip("jax")
    path = MODELS / "mlp_jax.py"
    shapes = [(8, 16), (16, 32), (32,), (32, 4), (4,)]
    spec = ",".join("x".join(map(str, s)) for s in shapes)
    text = Translator("jax", "stablehlo", input_shapes=spec).run(path.read_text(), str(path), Report())
    jaxlib_verifies(text)
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    want = np.asarray(jax.jit(_load_class(path, "mlp"))(*args))
    (got,) = run_with_jax(text, args)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.frameworks
@pytest.mark.parametrize(("file", "cls_name", "in_shape"), [
    ("mlp_nnx.py", "MLP", (8, 16)), ("cnn_nnx.py", "CNN", (2, 16, 16, 3)),
])
def test_flax_nnx_model_lowers_with_its_own_parameters(file: str, cls_name: str, in_shape) -> None:
    pytest.importorskip("jax")
    nnx = pytest.importorskip("flax.nnx")
    path = MODELS / file
    text = Translator("flax_nnx", "stablehlo", input_shapes="x".join(map(str, in_shape))).run(
        path.read_text(), str(path), Report())
    jaxlib_verifies(text)
    model = _load_class(path, cls_name)(rngs=nnx.Rngs(0))
    x = np.random.default_rng(0).standard_normal(in_shape).astype(np.float32)
    want = np.asarray(model(x))
    # Arguments are the model's own parameters (``fc1.kernel`` [in, out]), by name.
    state = {".".join(map(str, k)): np.asarray(v.get_value()) for k, v in nnx.to_flat_state(nnx.state(model, nnx.Param))}
    head = text.splitlines()[1]
    names = [a.split(":")[0].strip() for a in head[head.index("(") + 1 : head.index(") ->")].split("%")[1:]]
    params = [state[n.replace("_", ".", 1)] for n in names[1:]]
    (got,) = run_with_jax(text, [x, *params])
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
    src = (MODELS / "mlp_torch.py").read_text().replace("F.relu(self.fc1(x))", "self.fc1(x).cumsum(0)")
    f = tmp_path / "m.py"
    f.write_text(src)
    with pytest.raises(SwcError, match=r"m\.py:\d+:\d+: error: "):
        lower(f, "8x16")
