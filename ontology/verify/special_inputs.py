"""Examples for ops whose arguments constrain each other more than ODL fields can say.

``einsum``'s subscripts name the axes of its operands: a string drawn alone would almost
never fit the drawn tensors, so the subscripts are drawn first (one to three operands,
distinct letters per operand, an explicit output of some of the letters in any order)
and each operand's shape follows from them, one size per letter. The values are the
strategies' usual floats (multiples of 1/8, so the sums of products stay exact).
NumPy's ``select`` takes as many conditions as choices, all of one shape, and
``ravel_multi_index`` one index array per entry of ``dims``, each entry below its dim.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from switcheroo.ontology.odl import OpSpec

LETTERS = "abcd"


@st.composite
def _einsum(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    sizes = {c: draw(st.integers(1, 4)) for c in LETTERS}
    terms = []
    for _ in range(draw(st.integers(1, 3))):
        chosen = draw(st.permutations(list(LETTERS)))[: draw(st.integers(0, 3))]
        terms.append("".join(chosen))
    used = sorted({c for t in terms for c in t})
    kept = draw(st.permutations(used))[: draw(st.integers(0, len(used)))]
    subscripts = f"{','.join(terms)}->{''.join(kept)}"
    operands_arg = spec.arg("operands")
    operands = [draw(array(spec, operands_arg, "float32", tuple(sizes[c] for c in t))) for t in terms]
    return {"subscripts": subscripts, "operands": operands}


# op -> strategy(spec, array) for one whole example; ``array`` is strategies' tensor maker.
SPECIAL: dict[str, Callable[..., st.SearchStrategy[dict[str, Any]]]] = {
    "einsum": _einsum,
}


@st.composite
def _select(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    """NumPy's select: as many boolean conditions as choices, all of one shape."""
    shape = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(0, 3))))
    n = draw(st.integers(1, 3))
    conds = [draw(array(spec, spec.arg("condlist"), "bool", shape)) for _ in range(n)]
    choices = [draw(array(spec, spec.arg("choicelist"), "float32", shape)) for _ in range(n)]
    out: dict[str, Any] = {"condlist": conds, "choicelist": choices}
    if draw(st.booleans()):
        out["default"] = draw(st.integers(-16, 16)) / 8
    return out


@st.composite
def _ravel_multi_index(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    """One int index array per entry of ``dims``, each entry below its dim."""
    dims = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, 3))))
    shape = tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2))))
    index = [
        np.array(draw(st.lists(st.integers(0, d - 1), min_size=math.prod(shape), max_size=math.prod(shape))),
                 dtype=np.int64).reshape(shape)
        for d in dims
    ]
    return {"multi_index": index, "dims": dims}


SPECIAL.update({"ravel_multi_index": _ravel_multi_index, "select": _select})


@st.composite
def _broadcast_shapes(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    """NumPy's broadcast_shapes: one to three shapes (tuples of ints) that broadcast
    together, each the common shape with some leading dims dropped and some dims 1."""
    common = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(0, 3))))
    shapes = []
    for _ in range(draw(st.integers(1, 3))):
        dims = common[draw(st.integers(0, len(common))):]
        shapes.append(tuple(1 if draw(st.booleans()) else d for d in dims))
    return {"args": shapes}


SPECIAL["broadcast_shapes"] = _broadcast_shapes


def _shape(draw: Any) -> tuple[int, ...]:
    return tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(0, 3))))


@st.composite
def _from_dlpack(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    """An object with ``__dlpack__``: an array of the framework (the drawn array, made
    native as every tensor is), of a dtype every DLPack producer exports."""
    dtype = draw(st.sampled_from(("float32", "int32", "int64", "uint8")))
    return {"x": draw(array(spec, spec.arg("x"), dtype, _shape(draw)))}


# Values that are not arrays, for is_tensor: none of them is a framework's tensor.
NOT_ARRAYS = (None, 1, 0.5, True, "x", [0.5, 1.0], (1, 2))


@st.composite
def _is_tensor(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    """Any value: half the time an array (made the framework's tensor, 0-d included),
    else a Python scalar, string, list, tuple or None."""
    if draw(st.booleans()):
        dtype = draw(st.sampled_from(("float32", "int64", "bool")))
        return {"x": draw(array(spec, spec.arg("x"), dtype, _shape(draw)))}
    return {"x": draw(st.sampled_from(NOT_ARRAYS))}


SPECIAL.update({"from_dlpack": _from_dlpack, "is_tensor": _is_tensor})


@st.composite
def _col2im(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    """ONNX Col2Im (2-D): a block shape, an image at least as large, and ``x`` of
    [N, C * prod(block), L] with L the number of block positions (unit strides, no
    padding or dilation: their defaults). The shapes are given as tuples of ints."""
    block = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    image = tuple(b + draw(st.integers(0, 2)) for b in block)
    positions = math.prod(i - b + 1 for i, b in zip(image, block, strict=True))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)) * math.prod(block), positions)
    return {"x": draw(array(spec, spec.arg("x"), "float32", shape)), "image_shape": image, "block_shape": block}


@st.composite
def _affine_grid(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    """ONNX AffineGrid: theta [N, 2, 3] with size (N, C, H, W), or [N, 3, 4] with
    (N, C, D, H, W); the size as a tuple of ints, as a framework call takes it."""
    r = draw(st.integers(2, 3))
    n = draw(st.integers(1, 2))
    theta = draw(array(spec, spec.arg("theta"), "float32", (n, r, r + 1)))
    out: dict[str, Any] = {"theta": theta, "size": (n, draw(st.integers(1, 2)), *(draw(st.integers(1, 4)) for _ in range(r)))}
    if draw(st.booleans()):
        out["align_corners"] = draw(st.integers(0, 1))
    return out


SPECIAL.update({"affine_grid": _affine_grid, "col2im": _col2im})


@st.composite
def _max_unpool(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    """ONNX MaxUnpool's input is MaxPool's output: x and its indices (into the whole
    flattened image, batch and channel included) come from max-pooling a drawn
    [N, C, H, W] image whose size the unpooling restores ((Hp - 1) * stride + kernel)."""
    kernel = [draw(st.integers(1, 2)), draw(st.integers(1, 2))]
    given = draw(st.booleans())
    strides = [draw(st.integers(1, 2)), draw(st.integers(1, 2))] if given else [1, 1]
    pooled = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    size = [(p - 1) * s + k for p, s, k in zip(pooled[2:], strides, kernel, strict=True)]
    image = draw(hnp.arrays(np.float32, (*pooled[:2], *size), elements=st.integers(-16, 16).map(lambda k: k / 8)))
    x = np.empty(pooled, np.float32)
    i = np.empty(pooled, np.int64)
    for n, c, h, w in np.ndindex(*pooled):
        h0, w0 = h * strides[0], w * strides[1]
        window = image[n, c, h0 : h0 + kernel[0], w0 : w0 + kernel[1]]
        dh, dw = np.unravel_index(int(np.argmax(window)), window.shape)
        x[n, c, h, w] = window[dh, dw]
        i[n, c, h, w] = np.ravel_multi_index((n, c, h0 + dh, w0 + dw), image.shape)
    out: dict[str, Any] = {"x": x, "i": i, "kernel_shape": kernel}
    if given:
        out["strides"] = strides
    return out


SPECIAL["max_unpool"] = _max_unpool


@st.composite
def _lp_pool(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    """ONNX LpPool over the two spatial axes of [N, C, H, W]: a kernel that fits the
    image, strides half the time (ONNX's default is 1), p of 1, 2 or 3 (2 by default)."""
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    out: dict[str, Any] = {
        "x": draw(array(spec, spec.arg("x"), "float32", shape)),
        "kernel_shape": [draw(st.integers(1, shape[2])), draw(st.integers(1, shape[3]))],
    }
    if draw(st.booleans()):
        out["strides"] = [draw(st.integers(1, 2)), draw(st.integers(1, 2))]
    if draw(st.booleans()):
        out["p"] = draw(st.integers(1, 3))
    return out


SPECIAL["lp_pool"] = _lp_pool


@st.composite
def _mel_weight_matrix(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    """ONNX MelWeightMatrix's scalars: 0-d tensors of a bin count, a DFT length, a sample
    rate and two edges below the Nyquist frequency (rate / 2)."""
    rate = draw(st.sampled_from((8000, 16000)))
    lower = draw(st.sampled_from((0.0, 125.0, 300.0)))
    upper = draw(st.sampled_from((rate / 4, rate / 2 - 500)))
    return {
        "num_mel_bins": np.array(draw(st.integers(1, 8)), np.int64),
        "dft_length": np.array(draw(st.sampled_from((16, 32, 64, 100))), np.int64),
        "sample_rate": np.array(rate, np.int64),
        "lower_edge_hertz": np.array(lower, np.float32),
        "upper_edge_hertz": np.array(upper, np.float32),
    }


SPECIAL["mel_weight_matrix"] = _mel_weight_matrix


@st.composite
def _grid_sample(draw: Any, spec: OpSpec, array: Callable[..., Any]) -> dict[str, Any]:
    """ONNX GridSample (2-D): x [N, C, H, W] and grid [N, H_out, W_out, 2] of multiples of
    1/8 in [-1.5, 1.5], so some points fall outside the image and every padding mode
    matters (x plus a ramp of 1/8 steps, so neighbouring pixels differ); mode,
    padding_mode and align_corners each left out an eighth of the time (the defaults),
    else drawn, so that each of the nine combinations is met in a run."""
    n = draw(st.integers(1, 2))
    x = draw(array(spec, spec.arg("x"), "float32", (n, draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 4)))))
    x = x + np.arange(x.size, dtype=np.float32).reshape(x.shape) / 8  # neighbours differ: the taps' weights show
    shape = (n, draw(st.integers(1, 4)), draw(st.integers(1, 4)), 2)
    out: dict[str, Any] = {"x": x, "grid": draw(hnp.arrays(np.float32, shape, elements=st.integers(-12, 12).map(lambda k: k / 8)))}
    for name, values in (("mode", ("linear", "nearest", "cubic")), ("padding_mode", ("zeros", "border", "reflection")),
                         ("align_corners", (0, 1))):
        if draw(st.integers(0, 7)):
            out[name] = draw(st.sampled_from(values))
    return out


SPECIAL["grid_sample"] = _grid_sample
