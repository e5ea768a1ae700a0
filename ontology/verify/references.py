"""Independent NumPy references for ops that no two mappings can be compared on.

A mapping is verified by agreeing with another framework's; where no second framework maps
the op (or the mappings take disjoint inputs: torch's pixel_shuffle is depth_to_space in
CRD mode only, TensorFlow's in DCR mode only), each function below states the spec's meaning directly, in a few lines of NumPy
(ONNX's text for the ONNX specs, the hub description for curated ones), so the one mapping
is compared with it instead. Only ops whose definition is short and unambiguous are here;
the rest stay ``skipped``. An op listed here is compared with its reference only. Each function takes the standard arguments by name, with the
spec's defaults, and raises (``ValueError``) on input outside the op's domain, which the
survey then discards as it does a reference framework's rejection.

The ONNX image and signal operators (Col2Im, AffineGrid, MaxUnpool, LpPool, GridSample,
MelWeightMatrix) are in :mod:`onnx_references`.

The verifier adds the table as a pseudo-framework, :data:`REFERENCE`, run through the
NumPy adapter; it never appears in the report as a pair of its own.
"""

from __future__ import annotations

import math

import numpy as np
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.ontology.verify.onnx_references import (
    affine_grid,
    col2im,
    grid_sample,
    lp_pool,
    max_unpool,
    mel_weight_matrix,
)

REFERENCE = "reference"


def identity(x: np.ndarray) -> np.ndarray:
    return x.copy()


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError("x's last axis is not weight's in_features")
    y = x @ weight.T
    if bias is not None and np.broadcast_shapes(y.shape, bias.shape) != y.shape:
        raise ValueError("bias does not broadcast to the output")
    return y if bias is None else y + bias


def thresholded_relu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return np.where(x > np.float32(alpha), x, np.float32(0)).astype(x.dtype)


def adaptive_max_pool2d(x: np.ndarray, output_size: int | tuple[int, int]) -> np.ndarray:
    """Bin i of n over a length L spans [floor(i L / n), ceil((i + 1) L / n))."""
    oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
    if oh < 1 or ow < 1:
        raise ValueError("output_size must be positive")
    h, w = x.shape[-2:]
    out = np.empty((*x.shape[:-2], oh, ow), x.dtype)
    for i in range(oh):
        for j in range(ow):
            rows = slice(i * h // oh, math.ceil((i + 1) * h / oh))
            cols = slice(j * w // ow, math.ceil((j + 1) * w / ow))
            out[..., i, j] = np.max(x[..., rows, cols], axis=(-2, -1))
    return out


def _normalized(x: np.ndarray, axes: tuple[int, ...], epsilon: float) -> np.ndarray:
    mean = np.mean(x, axis=axes, keepdims=True)
    var = np.mean(np.square(x - mean), axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + np.float32(epsilon))


def instance_normalization(x: np.ndarray, scale: np.ndarray, b: np.ndarray,
                           epsilon: float = 1e-5) -> np.ndarray:
    """ONNX: y = scale * (x - mean) / sqrt(variance + epsilon) + B, per instance and
    channel over the spatial axes of [N, C, D1, ...]."""
    if x.ndim < 3:
        raise ValueError("x is [N, C, D1, ...]")
    shape = (1, -1, *(1,) * (x.ndim - 2))
    y = _normalized(x, tuple(range(2, x.ndim)), epsilon)
    return (y * scale.reshape(shape) + b.reshape(shape)).astype(x.dtype)


def group_normalization(x: np.ndarray, scale: np.ndarray, bias: np.ndarray, num_groups: int,
                        epsilon: float = 1e-5, stash_type: int = 1) -> np.ndarray:
    """ONNX (opset 21): the C channels of [N, C, D1, ...] in num_groups groups, each
    normalized over its channels and spatial axes; scale and bias per channel."""
    n, c = x.shape[:2]
    if num_groups < 1 or c % num_groups:
        raise ValueError("num_groups must divide the channels")
    grouped = x.reshape(n, num_groups, -1)
    y = _normalized(grouped, (2,), epsilon).reshape(x.shape)
    shape = (1, -1, *(1,) * (x.ndim - 2))
    return (y * scale.reshape(shape) + bias.reshape(shape)).astype(x.dtype)


def gather_nd(x: np.ndarray, indices: np.ndarray, batch_dims: int = 0) -> np.ndarray:
    """ONNX GatherND: the last axis of indices indexes x's leading axes (after the
    batch_dims shared leading axes); negative indices count from the end."""
    k = indices.shape[-1] if indices.ndim else 0
    if indices.ndim < 1 or batch_dims + k > x.ndim or x.shape[:batch_dims] != indices.shape[:batch_dims]:
        raise ValueError("indices do not fit x")
    batch = x.shape[:batch_dims]
    xs = x.reshape(-1, *x.shape[batch_dims:])
    ids = indices.reshape(-1, *indices.shape[batch_dims:])
    dims = xs.shape[1 : 1 + k]
    if np.any(ids >= dims) or np.any(ids < -np.array(dims, dtype=np.int64)):
        raise ValueError("index out of range")
    out = [xb[tuple(np.moveaxis(ib, -1, 0))] for xb, ib in zip(xs, ids, strict=True)]
    return np.stack(out).reshape(*batch, *indices.shape[batch_dims:-1], *x.shape[batch_dims + k :])


def pairwise_distance(x1: np.ndarray, x2: np.ndarray, p: float = 2.0, eps: float = 1e-6,
                      keepdims: bool = False) -> np.ndarray:
    """The p-norm of x1 - x2 + eps over the last axis."""
    if p <= 0:
        raise ValueError("p must be positive")
    d = np.abs(x1 - x2 + np.float32(eps)).astype(np.float64)
    out = np.sum(d**p, axis=-1, keepdims=keepdims) ** (1.0 / p)
    return out.astype(np.float32)


def cast_like(x: np.ndarray, target_type: np.ndarray, round_mode: str = "up", saturate: int = 1) -> np.ndarray:
    """ONNX CastLike: x cast to target_type's element type (round_mode and saturate
    concern float8 targets only)."""
    return x.astype(target_type.dtype)


def depth_to_space(x: np.ndarray, blocksize: int, mode: str = "DCR") -> np.ndarray:
    """ONNX DepthToSpace: DCR takes the block offsets from the leading channels, CRD from
    the trailing ones (torch's pixel_shuffle)."""
    n, c, h, w = x.shape
    b = blocksize
    if b < 1 or c % (b * b):
        raise ValueError("blocksize squared must divide the channels")
    if mode == "DCR":
        y = x.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
    else:
        y = x.reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
    return y.reshape(n, c // (b * b), h * b, w * b)


def reverse_sequence(x: np.ndarray, sequence_lens: np.ndarray, batch_axis: int = 1,
                     time_axis: int = 0) -> np.ndarray:
    """ONNX ReverseSequence: batch i has its first sequence_lens[i] steps reversed along
    time_axis; batch_axis and time_axis are 0 and 1 in either order."""
    if {batch_axis, time_axis} != {0, 1} or x.ndim < 2 or sequence_lens.shape != (x.shape[batch_axis],):
        raise ValueError("batch_axis and time_axis are 0 and 1; one length per batch")
    if np.any(sequence_lens < 0) or np.any(sequence_lens > x.shape[time_axis]):
        raise ValueError("a length beyond the time axis")
    out = np.moveaxis(x, (batch_axis, time_axis), (0, 1)).copy()
    for i, n in enumerate(sequence_lens.tolist()):
        out[i, :n] = out[i, :n][::-1]
    return np.moveaxis(out, (0, 1), (batch_axis, time_axis))


def space_to_depth(x: np.ndarray, blocksize: int, mode: str = "DCR") -> np.ndarray:
    """ONNX SpaceToDepth (block offsets in the leading channels), the inverse of
    DepthToSpace; CRD puts them in the trailing ones (torch's pixel_unshuffle)."""
    n, c, h, w = x.shape
    b = blocksize
    if b < 1 or h % b or w % b:
        raise ValueError("blocksize must divide H and W")
    y = x.reshape(n, c, h // b, b, w // b, b)
    y = y.transpose(0, 3, 5, 1, 2, 4) if mode == "DCR" else y.transpose(0, 1, 3, 5, 2, 4)
    return y.reshape(n, c * b * b, h // b, w // b)


def is_tensor(x: object) -> bool:
    """Whether x is an array: run through the NumPy adapter, a drawn tensor is an ndarray
    here and the framework's own tensor in each mapping's run."""
    return isinstance(x, np.ndarray)


# op -> reference (sorted by op).
REFERENCES = {
    "adaptive_max_pool2d": adaptive_max_pool2d,
    "affine_grid": affine_grid,
    "cast_like": cast_like,
    "col2im": col2im,
    "depth_to_space": depth_to_space,
    "gather_nd": gather_nd,
    "grid_sample": grid_sample,
    "group_normalization": group_normalization,
    "identity": identity,
    "instance_normalization": instance_normalization,
    "is_tensor": is_tensor,
    "linear": linear,
    "lp_pool": lp_pool,
    "max_unpool": max_unpool,
    "mel_weight_matrix": mel_weight_matrix,
    "pairwise_distance": pairwise_distance,
    "reverse_sequence": reverse_sequence,
    "space_to_depth": space_to_depth,
    "thresholded_relu": thresholded_relu,
}


def with_reference(spec: OpSpec) -> OpSpec | None:
    """``spec`` with the reference as one more variant, or None when there is none."""
    fn = REFERENCES.get(spec.operation)
    if fn is None:
        return None
    variant = Variant(api=f"{fn.__module__}.{fn.__name__}")
    # model_copy skips validation: the pseudo-framework is no ODL framework key.
    return spec.model_copy(update={"variants": {**spec.variants, REFERENCE: variant}})
