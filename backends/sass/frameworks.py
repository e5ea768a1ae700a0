"""What differs between the frameworks a decompiled kernel is written for, as data: how
arrays cross into the SIMT emulation and back, and how the written arrays leave."""

from __future__ import annotations

FRAMEWORK_IO: dict[str, dict] = {
    # numpy arrays are the emulation's memory: written in place.
    "numpy": {"imports": [], "to_numpy": "{0}", "returns": False,
              "from_numpy": "{0}_np"},
    # CPU tensors share their storage with .numpy(): written in place.
    "torch": {"imports": ["import torch"], "to_numpy": "{0}.detach().numpy()",
              "returns": False, "from_numpy": "{0}"},
    # jax arrays are immutable: the written arrays are returned, in parameter order.
    "jax": {"imports": ["import jax.numpy as jnp"], "to_numpy": "np.array({0})",
            "returns": True, "from_numpy": "jnp.asarray({0}_np)"},
}  # fmt: skip
