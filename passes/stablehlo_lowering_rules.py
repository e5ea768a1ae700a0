"""What each hub op computes, in StableHLO: the rule tables of ``lower-hub-to-stablehlo``.

``FUNCTIONS[spec](b, args)`` lowers a hub function op whose standard arguments are
``args`` (tensors as SSA values, static arguments as Python values). ``LAYERS[spec]``
says which parameters a layer owns (names and layouts of ``ontology/weight_rules/hub.yaml``:
torch's, channels first) and how applying it computes. The formulas are the ones JAX
uses (``jax.nn.gelu``, ``jax.nn.softmax``...), so the output reads as JAX's would.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from switcheroo.passes.stablehlo_builder import ShapeError, StablehloBuilder, shape
from xdsl.ir import SSAValue

Args = dict[str, Any]


def _norm_axis(axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise ShapeError(f"axis {axis} out of range for rank {rank}")
    return axis % rank


def _axes(axis: Any, rank: int) -> list[int]:
    if axis is None:
        return list(range(rank))
    return [_norm_axis(a, rank) for a in (axis if isinstance(axis, tuple | list) else (axis,))]


def _tuple(v: Any, n: int) -> tuple[int, ...]:
    return tuple(v) if isinstance(v, tuple | list) else (v,) * n


# ---- element-wise ---------------------------------------------------------------------
def relu(b: StablehloBuilder, x: SSAValue) -> SSAValue:
    return b.binary("maximum", x, b.scalar(0.0, shape(x)))


def gelu(b: StablehloBuilder, x: SSAValue, approximate: Any = "none") -> SSAValue:
    """Exact: x/2 (1 + erf(x/sqrt 2)); tanh: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate in ("tanh", True):
        cube = b.binary("multiply", b.binary("multiply", x, x), x)
        inner = b.binary("add", x, b.with_scalar("multiply", cube, 0.044715))
        t = b.unary("tanh", b.with_scalar("multiply", inner, math.sqrt(2 / math.pi)))
    else:
        t = b.unary("erf", b.with_scalar("multiply", x, 1 / math.sqrt(2)))
    half = b.with_scalar("multiply", x, 0.5)
    return b.binary("multiply", half, b.with_scalar("add", t, 1.0))


def sigmoid(b: StablehloBuilder, x: SSAValue) -> SSAValue:
    return b.unary("logistic", x)


def softmax(b: StablehloBuilder, x: SSAValue, axis: int = -1, log: bool = False) -> SSAValue:
    """exp(x - max) / sum(exp(x - max)) along ``axis`` (log: shifted - log(sum))."""
    dims = shape(x)
    ax = _norm_axis(axis, len(dims))
    keep = [d if i != ax else 1 for i, d in enumerate(dims)]
    mx = b.reshape(b.reduce(x, [ax], "maximum", float("-inf")), keep)
    shifted = b.binary("subtract", x, mx)
    e = b.unary("exponential", shifted)
    total = b.reshape(b.reduce(e, [ax], "add", 0.0), keep)
    if log:
        return b.binary("subtract", shifted, b.unary("log", total))
    return b.binary("divide", e, total)


def mean(b: StablehloBuilder, x: SSAValue, axis: Any = None, keepdims: bool = False) -> SSAValue:
    dims = shape(x)
    axes = _axes(axis, len(dims))
    s = b.reduce(x, axes, "add", 0.0)
    out = b.with_scalar("divide", s, float(math.prod(dims[a] for a in axes)))
    if keepdims:
        out = b.reshape(out, [1 if i in axes else d for i, d in enumerate(dims)])
    return out


def _reduction(combiner: str, init: float) -> Callable[..., SSAValue]:
    def lower(b: StablehloBuilder, x: SSAValue, axis: Any = None, keepdims: bool = False) -> SSAValue:
        dims = shape(x)
        axes = _axes(axis, len(dims))
        out = b.reduce(x, axes, combiner, init)
        if keepdims:
            out = b.reshape(out, [1 if i in axes else d for i, d in enumerate(dims)])
        return out

    return lower


def layer_norm(
    b: StablehloBuilder, x: SSAValue, normalized: tuple[int, ...], eps: float,
    weight: SSAValue | None, bias: SSAValue | None,
) -> SSAValue:
    """(x - mean) / sqrt(var + eps) * weight + bias over the last ``len(normalized)`` axes."""
    dims = shape(x)
    axes = list(range(len(dims) - len(normalized), len(dims)))
    keep = [1 if i in axes else d for i, d in enumerate(dims)]
    mu = b.reshape(mean(b, x, axes), keep)
    centred = b.binary("subtract", x, mu)
    var = b.reshape(mean(b, b.binary("multiply", centred, centred), axes), keep)
    inv = b.unary("rsqrt", b.with_scalar("add", var, eps))
    out = b.binary("multiply", centred, inv)
    if weight is not None:
        out = b.binary("multiply", out, weight)
    if bias is not None:
        out = b.binary("add", out, bias)
    return out


def linear(b: StablehloBuilder, x: SSAValue, weight: SSAValue, bias: SSAValue | None = None) -> SSAValue:
    """x @ weight^T + bias with weight [out, in]: one dot_general contracting both ``in``."""
    n = len(shape(x))
    out = b.dot_general(x, weight, ((), ()), ((n - 1,), (1,)))
    return b.binary("add", out, bias) if bias is not None else out


def reshape(b: StablehloBuilder, x: SSAValue, shape_: Any) -> SSAValue:
    dims = list(_tuple(shape_, 1))
    total = math.prod(shape(x))
    if -1 in dims:
        known = math.prod(d for d in dims if d != -1)
        dims[dims.index(-1)] = total // known if known else 0
    if math.prod(dims) != total:
        raise ShapeError(f"cannot reshape {shape(x)} to {tuple(dims)}")
    return b.reshape(x, dims)


def flatten_dims(b: StablehloBuilder, x: SSAValue, start_dim: int = 0, end_dim: int = -1) -> SSAValue:
    dims = shape(x)
    s, e = _norm_axis(start_dim, len(dims)), _norm_axis(end_dim, len(dims))
    return b.reshape(x, [*dims[:s], math.prod(dims[s : e + 1]), *dims[e + 1 :]])


def swapaxes(b: StablehloBuilder, x: SSAValue, axis1: int, axis2: int) -> SSAValue:
    n = len(shape(x))
    perm = list(range(n))
    i, j = _norm_axis(axis1, n), _norm_axis(axis2, n)
    perm[i], perm[j] = perm[j], perm[i]
    return b.transpose(x, perm)


def pool(
    b: StablehloBuilder, x: SSAValue, kind: str, kernel: Any, stride: Any, padding: Any,
) -> SSAValue:
    """Max or average pooling over the trailing spatial axes of channels-first ``x``
    (average divides by the full window, padding included, as torch's default does)."""
    n = len(shape(x)) - 2
    k = _tuple(kernel, n)
    s = _tuple(stride if stride is not None else kernel, n)
    p = _tuple(padding, n)
    window, strides = (1, 1, *k), (1, 1, *s)
    pads = [(0, 0), (0, 0), *[(q, q) for q in p]]
    if kind == "max":
        return b.reduce_window(x, "maximum", float("-inf"), window, strides, pads)
    total = b.reduce_window(x, "add", 0.0, window, strides, pads)
    return b.with_scalar("divide", total, float(math.prod(k)))


def chunk(b: StablehloBuilder, x: SSAValue, chunks: int, axis: int = 0) -> tuple[SSAValue, ...]:
    """torch ``chunk``: pieces of ceil(n / chunks) along ``axis`` (the last may be smaller)."""
    n = shape(x)[_norm_axis(axis, len(shape(x)))]
    size = -(-n // chunks)
    return split(b, x, list(range(size, n, size)), axis)


def split(b: StablehloBuilder, x: SSAValue, indices_or_sections: Any, axis: int = 0) -> tuple[SSAValue, ...]:
    """numpy ``split``: ``k`` equal sections, or pieces between the given split points."""
    dims = shape(x)
    ax = _norm_axis(axis, len(dims))
    if isinstance(indices_or_sections, int):
        if dims[ax] % indices_or_sections:
            raise ShapeError(f"{dims[ax]} does not split into {indices_or_sections} equal sections")
        step = dims[ax] // indices_or_sections
        indices_or_sections = list(range(step, dims[ax], step))
    bounds = [0, *indices_or_sections, dims[ax]]
    return tuple(slice_axis(b, x, ax, lo, hi) for lo, hi in zip(bounds, bounds[1:]))


def slice_axis(b: StablehloBuilder, x: SSAValue, axis: int, lo: int, hi: int, step: int = 1) -> SSAValue:
    dims = shape(x)
    if (lo, hi, step) == (0, dims[axis], 1):
        return x
    start, limit, strides = [0] * len(dims), list(dims), [1] * len(dims)
    start[axis], limit[axis], strides[axis] = lo, hi, step
    return b.slice(x, start, limit, strides)


def index(b: StablehloBuilder, x: SSAValue, key: Any) -> SSAValue:
    """``x[key]`` with static ints, slices (positive steps), ``None`` and ``...``:
    ``slice`` then ``reshape`` (ints drop their axis, ``None`` adds one)."""
    key = key if isinstance(key, tuple) else (key,)
    if any(isinstance(k, SSAValue) for k in key):
        raise ShapeError("indexing with a tensor is not lowered yet")
    dims = shape(x)
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    if used > len(dims) or sum(k is Ellipsis for k in key) > 1:
        raise ShapeError(f"too many indices for a tensor of rank {len(dims)}")
    i = key.index(Ellipsis) if Ellipsis in key else len(key)  # unnamed axes are taken whole
    key = (*key[:i], *[slice(None)] * (len(dims) - used), *key[i + 1 :])
    out, axis = [], 0
    for k in key:
        if k is None:
            out.append(1)
            continue
        n = dims[axis]
        if isinstance(k, int):
            if not -n <= k < n:
                raise ShapeError(f"index {k} out of range for size {n}")
            x = slice_axis(b, x, axis, k % n, k % n + 1)
        elif isinstance(k, slice):
            lo, hi, st = k.indices(n)
            if st < 1:
                raise ShapeError("slices with a negative step are not lowered")
            hi = max(hi, lo)
            x = slice_axis(b, x, axis, lo, hi, st)
            out.append(shape(x)[axis])
        else:
            raise ShapeError(f"index {k!r} is not lowered")
        axis += 1
    return b.reshape(x, out)


def batch_norm(
    b: StablehloBuilder, x: SSAValue, p: dict[str, SSAValue], eps: float,
) -> SSAValue:
    """Inference batch norm over channel axis 1: (x - mean) / sqrt(var + eps) * w + b."""
    n = len(shape(x))
    per_channel = lambda v: b.reshape(v, [shape(v)[0], *([1] * (n - 2))])  # noqa: E731
    inv = b.unary("rsqrt", b.with_scalar("add", p["running_var"], eps))
    scale = b.binary("multiply", inv, p["weight"]) if "weight" in p else inv
    out = b.binary("multiply", b.binary("subtract", x, per_channel(p["running_mean"])), per_channel(scale))
    return b.binary("add", out, per_channel(p["bias"])) if "bias" in p else out


def _unary(name: str) -> Callable[..., SSAValue]:
    return lambda b, x: b.unary(name, x)


def _binary(name: str) -> Callable[..., SSAValue]:
    return lambda b, x1, x2: b.binary(name, x1, x2)


# hub function spec -> lowering; keyword arguments are the spec's standard names.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": _unary("abs"), "add": _binary("add"), "chunk": chunk, "cos": _unary("cosine"),
    "divide": _binary("divide"), "erf": _unary("erf"), "exp": _unary("exponential"),
    "flatten_dims": flatten_dims, "gelu": gelu, "linear": linear, "log": _unary("log"),
    "log_softmax": lambda b, x, axis=-1: softmax(b, x, axis, log=True),
    "matmul": lambda b, x1, x2: b.matmul(x1, x2),
    "max": _reduction("maximum", float("-inf")), "maximum": _binary("maximum"),
    "mean": mean, "min": _reduction("minimum", float("inf")), "minimum": _binary("minimum"),
    "multiply": _binary("multiply"), "negative": _unary("negate"),
    "permute_dims": lambda b, x, axes: b.transpose(x, axes), "pow": _binary("power"),
    "relu": relu, "reshape": lambda b, x, shape, copy=None: reshape(b, x, shape),
    "rsqrt": _unary("rsqrt"), "sigmoid": sigmoid, "sin": _unary("sine"),
    "softmax": softmax, "split": split, "sqrt": _unary("sqrt"), "subtract": _binary("subtract"),
    "sum": _reduction("add", 0.0), "swapaxes": swapaxes, "tanh": _unary("tanh"),
}


@dataclass(frozen=True)
class LayerRule:
    """``params(cfg)``: the (name, shape) of each parameter in hub order, given the
    layer's constructor arguments; ``apply(b, cfg, params, x)``: the layer's output."""

    params: Callable[[Args], list[tuple[str, tuple[int, ...]]]]
    apply: Callable[[StablehloBuilder, Args, dict[str, SSAValue], SSAValue], SSAValue]


def _linear_params(c: Args) -> list[tuple[str, tuple[int, ...]]]:
    out = [("weight", (c["out_features"], c["in_features"]))]
    return out + [("bias", (c["out_features"],))] if c.get("bias", True) else out


def _conv_params(n: int) -> Callable[[Args], list[tuple[str, tuple[int, ...]]]]:
    def params(c: Args) -> list[tuple[str, tuple[int, ...]]]:
        k = _tuple(c["kernel_size"], n)
        w = (c["out_channels"], c["in_channels"] // c.get("groups", 1), *k)
        return [("weight", w)] + ([("bias", (c["out_channels"],))] if c.get("bias", True) else [])

    return params


def _conv_apply(n: int) -> Callable[..., SSAValue]:
    def apply(b: StablehloBuilder, c: Args, p: dict[str, SSAValue], x: SSAValue) -> SSAValue:
        if c.get("padding_mode", "zeros") != "zeros":
            raise ShapeError(f"padding_mode={c['padding_mode']!r} is not lowered yet")
        k = _tuple(c["kernel_size"], n)
        d = _tuple(c.get("dilation", 1), n)
        pad = c.get("padding", 0)
        pad = pad.lower() if isinstance(pad, str) else pad  # flax spells them "SAME"/"VALID"
        if pad == "valid":
            pad = 0
        if pad == "same":
            # torch's "same": total padding d*(k-1), the extra one on the high side
            pads = [((dd * (kk - 1)) // 2, dd * (kk - 1) - (dd * (kk - 1)) // 2) for kk, dd in zip(k, d)]
        else:
            pads = [(q, q) for q in _tuple(pad, n)]
        y = b.convolution(x, p["weight"], _tuple(c.get("stride", 1), n), pads, d, c.get("groups", 1))
        if "bias" in p:
            y = b.binary("add", y, b.reshape(p["bias"], [shape(p["bias"])[0], *([1] * n)]))
        return y

    return apply


def _ln_shape(c: Args) -> tuple[int, ...]:
    return _tuple(c["num_features"], 1)


def _ln_params(c: Args) -> list[tuple[str, tuple[int, ...]]]:
    out = [("weight", _ln_shape(c))] if c.get("use_scale", True) else []
    return out + ([("bias", _ln_shape(c))] if c.get("use_bias", True) else [])


def _bn_params(c: Args) -> list[tuple[str, tuple[int, ...]]]:
    ch = (c["num_features"],)
    affine = [("weight", ch), ("bias", ch)] if c.get("affine", True) else []
    if not c.get("track_running_stats", True):
        raise ShapeError("BatchNorm without running statistics normalizes by the batch; not lowered")
    return [*affine, ("running_mean", ch), ("running_var", ch)]


def _bn_layer() -> LayerRule:
    return LayerRule(_bn_params, lambda b, c, p, x: batch_norm(b, x, p, c.get("epsilon", 1e-5)))


def _no_params(c: Args) -> list[tuple[str, tuple[int, ...]]]:
    return []


LAYERS: dict[str, LayerRule] = {
    "AvgPool2d": LayerRule(_no_params, lambda b, c, p, x: pool(
        b, x, "avg", c["kernel_size"], c.get("stride"), c.get("padding", 0))),
    "BatchNorm1d": _bn_layer(),
    "BatchNorm2d": _bn_layer(),
    "BatchNorm3d": _bn_layer(),
    "Conv1d": LayerRule(_conv_params(1), _conv_apply(1)),
    "Conv2d": LayerRule(_conv_params(2), _conv_apply(2)),
    "Dropout": LayerRule(_no_params, lambda b, c, p, x: x),  # inference: identity
    "Embedding": LayerRule(
        lambda c: [("weight", (c["num_embeddings"], c["embedding_dim"]))],
        lambda b, c, p, x: b.take_rows(p["weight"], x)),
    "Flatten": LayerRule(_no_params, lambda b, c, p, x: flatten_dims(
        b, x, c.get("start_dim", 1), c.get("end_dim", -1))),
    "GELU": LayerRule(_no_params, lambda b, c, p, x: gelu(b, x, c.get("approximate", "none"))),
    "Identity": LayerRule(_no_params, lambda b, c, p, x: x),
    "LayerNorm": LayerRule(_ln_params, lambda b, c, p, x: layer_norm(
        b, x, _ln_shape(c), c.get("epsilon", 1e-5), p.get("weight"), p.get("bias"))),
    "Linear": LayerRule(_linear_params, lambda b, c, p, x: linear(b, x, p["weight"], p.get("bias"))),
    "MaxPool2d": LayerRule(_no_params, lambda b, c, p, x: pool(
        b, x, "max", c["kernel_size"], c.get("stride"), c.get("padding", 0))),
    "ReLU": LayerRule(_no_params, lambda b, c, p, x: relu(b, x)),
    "Sigmoid": LayerRule(_no_params, lambda b, c, p, x: sigmoid(b, x)),
    "Softmax": LayerRule(_no_params, lambda b, c, p, x: softmax(b, x, c.get("axis", -1))),
    "Tanh": LayerRule(_no_params, lambda b, c, p, x: b.unary("tanh", x)),
}
