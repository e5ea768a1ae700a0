"""Numeric check of the demo: the torch MLP and its converted Flax NNX twin, same weights,
same random input. Prints the max abs difference (and fails above 1e-5).

    python docs/examples/check_mlp.py docs/examples/mlp_torch.py OUT/mlp_flax.py
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np


def load(path: str, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def copy_weights(src, dst) -> None:
    """Linear [out, in] -> kernel [in, out]; LayerNorm weight/bias -> scale/bias."""
    import jax.numpy as jnp

    for name in ("fc1", "fc2"):
        s, d = getattr(src, name), getattr(dst, name)
        d.kernel[...] = jnp.asarray(s.weight.detach().numpy().T)
        d.bias[...] = jnp.asarray(s.bias.detach().numpy())
    dst.norm.scale[...] = jnp.asarray(src.norm.weight.detach().numpy())
    dst.norm.bias[...] = jnp.asarray(src.norm.bias.detach().numpy())


def max_abs_diff(torch_file: str, flax_file: str) -> float:
    import jax.numpy as jnp
    import torch
    from flax import nnx

    src, dst = load(torch_file, "demo_src"), load(flax_file, "demo_dst")
    torch.manual_seed(0)
    ref = src.MLP(6, 16, 3).eval()
    out = dst.MLP(6, 16, 3, rngs=nnx.Rngs(0))
    out.eval()
    copy_weights(ref, out)
    x = np.random.default_rng(0).standard_normal((8, 6)).astype(np.float32)
    want = ref(torch.from_numpy(x)).detach().numpy()
    got = np.asarray(out(jnp.asarray(x)))
    return float(np.max(np.abs(got - want)))


if __name__ == "__main__":
    diff = max_abs_diff(sys.argv[1], sys.argv[2])
    print(f"max |torch - flax_nnx| = {diff:.3e}  ({'OK' if diff <= 1e-5 else 'MISMATCH'}, tolerance 1e-5)")
    sys.exit(0 if diff <= 1e-5 else 1)
