"""Per-framework spellings for the StableHLO Python backend, as data.

``HUB[spec][family]`` is a format string over the hub op's standard argument names
(``"*"`` when all three families spell it alike; ``{xp}`` is the array namespace;
``{helper:NAME}`` pulls a prelude helper in). ``FAMILY`` holds the few structural
spellings (imports, transpose, loops) that differ.
"""

from __future__ import annotations

from typing import Any


def _same(fn: str) -> dict[str, str]:
    return {"*": "{xp}." + fn + "({x})"}


def _infix(sym: str, a: str = "x1", b: str = "x2") -> dict[str, str]:
    return {"*": "{" + a + "} " + sym + " {" + b + "}"}


HUB: dict[str, dict[str, str]] = {
    **{k: _same(k) for k in (
        "exp", "log", "tanh", "sqrt", "abs", "sin", "cos", "tan", "floor", "ceil", "sign",
        "log1p", "expm1", "sinh", "cosh", "square", "isfinite", "round",
    )},
    "maximum": {"*": "{xp}.maximum({x1}, {x2})"},
    "minimum": {"*": "{xp}.minimum({x1}, {x2})"},
    "add": _infix("+"), "subtract": _infix("-"), "multiply": _infix("*"),
    "divide": _infix("/"), "pow": _infix("**"), "matmul": _infix("@"),
    "equal": _infix("=="), "not_equal": _infix("!="), "less": _infix("<"),
    "less_equal": _infix("<="), "greater": _infix(">"), "greater_equal": _infix(">="),
    "logical_and": _infix("&"), "logical_or": _infix("|"), "logical_xor": _infix("^"),
    "bitwise_and": _infix("&"), "bitwise_or": _infix("|"), "bitwise_xor": _infix("^"),
    "logical_not": {"*": "~{x}"}, "bitwise_invert": {"*": "~{x}"},
    "negative": {"*": "-{x}"},
    "atan2": {"numpy": "np.arctan2({x1}, {x2})", "torch": "torch.atan2({x1}, {x2})",
              "jax": "jnp.arctan2({x1}, {x2})"},
    "rsqrt": {"numpy": "1 / np.sqrt({x})", "torch": "torch.rsqrt({x})", "jax": "jax.lax.rsqrt({x})"},
    "sigmoid": {"numpy": "1 / (1 + np.exp(-{x}))", "torch": "torch.sigmoid({x})",
                "jax": "jax.nn.sigmoid({x})"},
    "erf": {"numpy": "{helper:_erf}_erf({x})", "torch": "torch.erf({x})",
            "jax": "jax.scipy.special.erf({x})"},
    "relu": {"numpy": "np.maximum({x}, 0)", "torch": "torch.relu({x})", "jax": "jax.nn.relu({x})"},
    "softmax": {"numpy": "{helper:_softmax}_softmax({x}, {axis})",
                "torch": "torch.softmax({x}, dim={axis})", "jax": "jax.nn.softmax({x}, axis={axis})"},
    "linear": {"numpy": "{x} @ {weight}.T + {bias}",
               "torch": "torch.nn.functional.linear({x}, {weight}, {bias})",
               "jax": "{x} @ {weight}.T + {bias}"},
    "permute_dims": {"numpy": "np.transpose({x}, {axes})", "torch": "torch.permute({x}, {axes})",
                     "jax": "jnp.transpose({x}, {axes})"},
    "reshape": {"*": "{xp}.reshape({x}, {shape})"},
    "sum": {"numpy": "np.sum({x}, axis={axis})", "torch": "torch.sum({x}, dim={axis})",
            "jax": "jnp.sum({x}, axis={axis})"},
    "max": {"numpy": "np.max({x}, axis={axis})", "torch": "torch.amax({x}, dim={axis})",
            "jax": "jnp.max({x}, axis={axis})"},
    "min": {"numpy": "np.min({x}, axis={axis})", "torch": "torch.amin({x}, dim={axis})",
            "jax": "jnp.min({x}, axis={axis})"},
    "prod": {"numpy": "np.prod({x}, axis={axis})", "jax": "jnp.prod({x}, axis={axis})"},
    "astype": {"numpy": "{x}.astype({dtype})", "torch": "{x}.to({dtype})",
               "jax": "{x}.astype({dtype})"},
    "where": {"*": "{xp}.where({condition}, {x1}, {x2})"},
    "conv": {"*": "{helper:_conv_bias}_conv_bias({x}, {w}, {b}, {strides}, {pads}, {dilations}, {group})"},
    "layer_normalization": {
        "numpy": "{helper:_layer_norm}_layer_norm({x}, {scale}, {b}, {epsilon})",
        "torch": "torch.nn.functional.layer_norm({x}, {scale}.shape, {scale}, {b}, {epsilon})",
        "jax": "{helper:_layer_norm}_layer_norm({x}, {scale}, {b}, {epsilon})",
    },
    "scaled_dot_product_attention": {
        "numpy": "{helper:_attention}_attention({query}, {key}, {value}, {scale})",
        "torch": "torch.nn.functional.scaled_dot_product_attention({query}, {key}, {value}, scale={scale})",
        "jax": "{helper:_attention}_attention({query}, {key}, {value}, {scale})",
    },
}

_LOOP = "while bool({k}_cond(*state)):\n    state = {k}_body(*state)"

FAMILY: dict[str, dict[str, Any]] = {
    "numpy": {
        "imports": ["import numpy as np"], "xp": "np", "transpose": "np.transpose",
        "concat": "np.concatenate", "clip": "np.clip", "axis": "axis", "while": _LOOP,
        "divide": "np.trunc(np.true_divide({a}, {b})).astype({a}.dtype)",
        "remainder": "np.fmod({a}, {b})",
        "window_fn": {"maximum": "np.max", "add": "np.sum", "minimum": "np.min"},
    },
    "torch": {
        "imports": ["import torch"], "xp": "torch", "transpose": "torch.permute",
        "concat": "torch.cat", "clip": "torch.clamp", "axis": "dim", "while": _LOOP,
        "divide": "torch.div({a}, {b}, rounding_mode='trunc')",
        "remainder": "torch.fmod({a}, {b})",
        "window_fn": {"maximum": "torch.amax", "add": "torch.sum", "minimum": "torch.amin"},
    },
    "jax": {
        "imports": ["import jax", "import jax.numpy as jnp"], "xp": "jnp",
        "transpose": "jnp.transpose", "concat": "jnp.concatenate", "clip": "jnp.clip",
        "axis": "axis",
        "while": "state = jax.lax.while_loop(lambda s: {k}_cond(*s), lambda s: {k}_body(*s), state)",
        "divide": "jax.lax.div({a}, {b})", "remainder": "jax.lax.rem({a}, {b})",
        "window_fn": {"maximum": "jax.lax.max", "add": "jax.lax.add", "minimum": "jax.lax.min"},
    },
}

REDUCERS: dict[str, dict[str, str]] = {
    "numpy": {"add": "np.sum", "maximum": "np.max", "minimum": "np.min", "multiply": "np.prod",
              "and": "np.all", "or": "np.any"},
    "torch": {"add": "torch.sum", "maximum": "torch.amax", "minimum": "torch.amin",
              "and": "torch.all", "or": "torch.any"},
    "jax": {"add": "jnp.sum", "maximum": "jnp.max", "minimum": "jnp.min", "multiply": "jnp.prod",
            "and": "jnp.all", "or": "jnp.any"},
}


def dtype(family: str, name: Any) -> str:
    """Array API dtype name -> the framework's dtype expression."""
    name = str(name)
    if name == "bool" and family != "torch":
        name = "bool_"
    return f"{FAMILY[family]['xp']}.{name}"
