"""Run a source torch model and its converted twin on the same weights and inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.python.helpers import convert, import_code


def build(module, cls: str, args: tuple, target: str, x: np.ndarray):
    """Construct the converted model as its framework expects (RNG state, a first call)."""
    model_cls = getattr(module, cls)
    if target in ("flax_nnx", "jax"):
        from flax import nnx

        model = model_cls(*args, rngs=nnx.Rngs(0))
        model.eval()
    elif target in ("keras", "tensorflow"):
        model = model_cls(*args)
        model(x)  # Keras creates its weights on the first call
    elif target == "mlx":
        model = model_cls(*args)
        model.eval()
    else:
        model = model_cls(*args)
    return model


def run(model, target: str, x: np.ndarray) -> np.ndarray:
    if target in ("flax_nnx", "jax"):
        import jax.numpy as jnp

        return np.asarray(model(jnp.asarray(x)))
    if target == "mlx":
        import mlx.core as mx

        return np.array(model(mx.array(x)))
    return np.asarray(model(x))


def compare_with_torch(source: str, cls: str, args: tuple, shape: tuple, target: str, tmp_path: Path,
                       name: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Convert, migrate the weights with switcheroo.weights.transfer, run both sides."""
    import torch

    from switcheroo.weights import transfer

    code, report = convert(source, "torch", target, path=f"{name}.py")
    assert report.count("warning") == 0, [str(d) for d in report.diagnostics]
    src = import_code(source, tmp_path, f"src_{name}_{target}")
    dst = import_code(code, tmp_path, f"dst_{name}_{target}")
    torch.manual_seed(0)
    ref = getattr(src, cls)(*args).eval()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    out = build(dst, cls, args, target, x)
    transfer(ref, out, src="torch", dst=target)
    want = ref(torch.from_numpy(x)).detach().numpy()
    return run(out, target, x), want, code
