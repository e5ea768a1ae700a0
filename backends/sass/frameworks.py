"""What differs between the frameworks a decompiled kernel is written for, as data: how
arrays cross into the SIMT emulation and back, how the written arrays leave, and how a
raised kernel spells a float32 scalar and an in-place write of a prefix. The APIs of hub
ops come from the ontology; ``ALIASES`` shortens their module paths as the imports do."""

from __future__ import annotations

FRAMEWORK_IO: dict[str, dict] = {
    # numpy arrays are the emulation's memory: written in place.
    "numpy": {"imports": [], "to_numpy": "{0}", "returns": False,
              "from_numpy": "{0}_np"},
    # CPU tensors share their storage with .numpy(): written in place.
    "torch": {"imports": ["import torch"], "to_numpy": "{0}.detach().numpy()",
              "returns": False, "from_numpy": "{0}"},
    # jax arrays are immutable: the written arrays are returned, in parameter order.
    "jax": {"imports": ["import jax", "import jax.numpy as jnp"], "to_numpy": "np.array({0})",
            "returns": True, "from_numpy": "jnp.asarray({0}_np)"},
}  # fmt: skip

RAISED: dict[str, dict] = {
    # views of a flat prefix: ``view`` is {array}, {size}, {shape}, {cut}; ``assign_view``
    # adds {value} and {vcut} (the value's trailing dimensions cut to the counts)
    "numpy": {"scalar": "np.float32({0})", "assign": "{0}[:{1}] = {2}",
              "widen": "{0}.astype(np.float64)", "accumulate": "{0}[0] += {1}",
              "view": "{array}[:{size}].reshape({shape})[{cut}]",
              "assign_view": "{array}[:{size}].reshape({shape})[{cut}] = {value}[{vcut}]"},
    "torch": {"scalar": "torch.tensor({0}, dtype=torch.float32)", "assign": "{0}[:{1}] = {2}",
              "widen": "{0}.double()", "accumulate": "{0}[0] += {1}",
              "view": "{array}[:{size}].view({shape})[{cut}]",
              "assign_view": "{array}[:{size}].view({shape})[{cut}] = {value}[{vcut}]"},
    # jax: float64 only under jax_enable_x64, else float32 (no warning)
    "jax": {"scalar": "jnp.float32({0})", "assign": "{0} = {0}.at[:{1}].set({2})",
            "widen": "{0}.astype(jnp.result_type(float))", "accumulate": "{0} = {0}.at[0].add({1})",
            "view": "{array}[:{size}].reshape({shape})[{cut}]",
            "assign_view": "{array} = {array}.at[:{size}].set({array}[:{size}].reshape({shape})"
                           ".at[{cut}].set({value}[{vcut}]).reshape(-1))"},
}  # fmt: skip

# Launches a raised kernel's proof covers (``sass.launch``), as the condition under which
# the Python function must run the emulation instead (``_g``/``_b``: grid and block dims).
LAUNCH_FALLBACK = {
    "1d": "_g[1] * _g[2] * _b[1] * _b[2] != 1",
    "1d-whole-warps": "_g[1] * _g[2] * _b[1] * _b[2] != 1 or _b[0] % 32 != 0",
    # proven for the block sizes listed in the raised func's ``sass.blocks`` only
    "1d-blocks": "_g[1] * _g[2] * _b[1] * _b[2] != 1 or _b[0] not in {blocks}",
    "any": None,  # the proof covers every launch: no emulation call
}

# Hub ops every framework spells as a Python operator on arrays.
INFIX = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "matmul": "@"}

# Hub ops whose call differs from the ontology's API (numpy has no convolution; jax's
# needs its strides and padding; torch's gives 0 output channels for 0 input channels,
# where the sum over no channels is 0): ``hub.conv`` is the unpadded, stride-1 NCHW/OIHW
# one. The operands are names (views are never inlined), so they may repeat.
HUB_CALLS = {
    "torch": {"conv": "(torch.nn.functional.conv2d({0}, {1}) if {0}.shape[1] else {0}.new_zeros("
                      "({0}.shape[0], {1}.shape[0], {0}.shape[2] - {1}.shape[2] + 1, "
                      "{0}.shape[3] - {1}.shape[3] + 1)))"},
    "numpy": {"conv": "np.einsum('nchwij,ocij->nohw', np.lib.stride_tricks."
                      "sliding_window_view({0}, {1}.shape[2:], axis=(2, 3)), {1})"},
    "jax": {"conv": "jax.lax.conv_general_dilated({0}, {1}, (1, 1), 'VALID')"},
}
ALIASES = {"numpy.": "np.", "jax.numpy.": "jnp."}
