"""Models written the way users write them: converted, weights migrated with
``switcheroo.weights.transfer``, run on both sides on random inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.python.helpers import convert, import_code

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
nnx = pytest.importorskip("flax.nnx")

MODELS = Path(__file__).parent / "models"

# model file -> (class, constructor args, input shape)
CASES = {
    "cnn_torch.py": ("SmallCNN", (3, 5), (2, 3, 12, 12)),
}


@pytest.mark.parametrize("target", ["flax_nnx", "jax"])
@pytest.mark.parametrize("model_file", sorted(CASES))
def test_torch_model_matches(tmp_path, model_file, target):
    from switcheroo.weights import transfer

    cls, args, shape = CASES[model_file]
    source = (MODELS / model_file).read_text()
    code, report = convert(source, "torch", target, path=model_file)
    assert report.count("warning") == 0, [str(d) for d in report.diagnostics]
    stem = f"{Path(model_file).stem}_{target}"
    src = import_code(source, tmp_path, f"src_{stem}")
    dst = import_code(code, tmp_path, f"dst_{stem}")
    torch.manual_seed(0)
    ref = getattr(src, cls)(*args).eval()
    out = getattr(dst, cls)(*args, rngs=nnx.Rngs(0))
    out.eval()
    transfer(ref, out, src="torch", dst="flax_nnx")
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    want = ref(torch.from_numpy(x)).detach().numpy()
    got = np.asarray(out(jax.numpy.asarray(x)))
    assert got.shape == want.shape  # the source's tensor interface is kept (NCHW in)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
