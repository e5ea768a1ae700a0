"""NumPy references for ONNX image and signal operators that one framework maps.

Each states the ONNX operator's definition (its text, and where the text leaves a detail
open, the behaviour of ONNX's own reference implementation, said in the docstring) over
the standard arguments, and raises ``ValueError`` outside the op's domain. They are
entries of :data:`references.REFERENCES`, used as that module describes.
"""

from __future__ import annotations

import math

import numpy as np


def col2im(x: np.ndarray, image_shape: tuple[int, ...], block_shape: tuple[int, ...],
           dilations: list[int] | None = None, pads: list[int] | None = None,
           strides: list[int] | None = None) -> np.ndarray:
    """ONNX Col2Im: column l of x (block positions in row-major order) holds, for each
    channel and block offset k (row-major), the value added at image position
    l * stride + k * dilation - pad_begin (positions outside the image are dropped)."""
    image, block = tuple(int(i) for i in image_shape), tuple(int(b) for b in block_shape)
    r = len(image)
    dil, st = dilations or [1] * r, strides or [1] * r
    pad = pads or [0] * (2 * r)
    counts = [(image[d] + pad[d] + pad[r + d] - dil[d] * (block[d] - 1) - 1) // st[d] + 1 for d in range(r)]
    n, ck, cols = x.shape
    if len(block) != r or ck % math.prod(block) or cols != math.prod(counts):
        raise ValueError("x is not [N, C * prod(block_shape), L] for these shapes")
    c = ck // math.prod(block)
    out = np.zeros((n, c, *image), x.dtype)
    cells = x.reshape(n, c, *block, *counts)
    for k in np.ndindex(*block):
        for pos in np.ndindex(*counts):
            at = [pos[d] * st[d] + k[d] * dil[d] - pad[d] for d in range(r)]
            if all(0 <= a < image[d] for d, a in enumerate(at)):
                out[(slice(None), slice(None), *at)] += cells[(slice(None), slice(None), *k, *pos)]
    return out


def affine_grid(theta: np.ndarray, size: tuple[int, ...], align_corners: int = 0) -> np.ndarray:
    """ONNX AffineGrid: the normalized coordinates of each output position (x fastest,
    last in the result), mapped by theta; with align_corners 1 the extremes -1 and 1 are
    the corner pixels' centres (undefined for an axis of one pixel, whose two corners are
    one: ONNX's reference divides by zero there), else their outer edges."""
    n, _, *spatial = (int(s) for s in size)
    r = len(spatial)
    if theta.shape != (n, r, r + 1) or r not in (2, 3):
        raise ValueError("theta is [N, 2, 3] for a 2-D size, [N, 3, 4] for a 3-D one")
    if align_corners and min(spatial) < 2:
        raise ValueError("align_corners=1 needs two pixels along each axis")

    def axis(m: int) -> np.ndarray:
        if align_corners:
            return np.linspace(-1.0, 1.0, m)
        return (2.0 * np.arange(m) + 1.0) / m - 1.0

    coords = np.meshgrid(*(axis(m) for m in spatial), indexing="ij")  # D, H, W order
    base = np.stack([*coords[::-1], np.ones(spatial)], axis=-1)  # (x, y[, z], 1)
    grid = np.einsum("...k,njk->n...j", base, theta.astype(np.float64))
    return grid.astype(theta.dtype)


def max_unpool(x: np.ndarray, i: np.ndarray, kernel_shape: list[int], output_shape: np.ndarray | None = None,
               pads: list[int] | None = None, strides: list[int] | None = None) -> np.ndarray:
    """ONNX MaxUnpool: zeros of the size pooling came from ((in - 1) * stride - pads +
    kernel per spatial axis), x written at its indices into that whole flattened tensor,
    then placed at the origin of output_shape where one is given."""
    r = x.ndim - 2
    st = strides or [1] * r
    pad = pads or [0] * (2 * r)
    if i.shape != x.shape or len(kernel_shape) != r:
        raise ValueError("indices are x's shape; one kernel size per spatial axis")
    shape = (*x.shape[:2], *((x.shape[2 + d] - 1) * st[d] - pad[d] - pad[r + d] + kernel_shape[d] for d in range(r)))
    flat = np.zeros(math.prod(shape), x.dtype)
    if np.any(i < 0) or np.any(i >= flat.size):
        raise ValueError("an index beyond the unpooled tensor")
    flat[i.reshape(-1)] = x.reshape(-1)
    if output_shape is None:
        return flat.reshape(shape)
    out = np.zeros(tuple(int(s) for s in output_shape), x.dtype)
    out[tuple(slice(0, s) for s in shape)] = flat.reshape(shape)
    return out


def lp_pool(x: np.ndarray, kernel_shape: list[int], auto_pad: str = "NOTSET", ceil_mode: int = 0,
            dilations: list[int] | None = None, p: int = 2, pads: list[int] | None = None,
            strides: list[int] | None = None) -> np.ndarray:
    """ONNX LpPool: (sum of |x| ** p over each window) ** (1 / p) over the spatial axes of
    [N, C, D1, ...]; padding adds zeros (explicit pads only, floor of the window count)."""
    r = x.ndim - 2
    if r < 1 or len(kernel_shape) != r or p <= 0 or auto_pad != "NOTSET" or ceil_mode:
        raise ValueError("one kernel size per spatial axis, p > 0, explicit pads, floor mode")
    st, dil = strides or [1] * r, dilations or [1] * r
    pad = pads or [0] * (2 * r)
    padded = np.pad(np.abs(x.astype(np.float64)) ** p, [(0, 0), (0, 0), *zip(pad[:r], pad[r:], strict=True)])
    span = [dil[d] * (kernel_shape[d] - 1) + 1 for d in range(r)]
    counts = [(padded.shape[2 + d] - span[d]) // st[d] + 1 for d in range(r)]
    if min(counts) < 1:
        raise ValueError("the kernel is larger than the padded input")
    out = np.empty((*x.shape[:2], *counts))
    for pos in np.ndindex(*counts):
        window = tuple(slice(pos[d] * st[d], pos[d] * st[d] + span[d], dil[d]) for d in range(r))
        out[(..., *pos)] = padded[(slice(None), slice(None), *window)].sum(axis=tuple(range(2, 2 + r)))
    return (out ** (1.0 / p)).astype(x.dtype)


def mel_weight_matrix(num_mel_bins: np.ndarray, dft_length: np.ndarray, sample_rate: np.ndarray,
                      lower_edge_hertz: np.ndarray, upper_edge_hertz: np.ndarray,
                      output_datatype: int = 1) -> np.ndarray:
    """ONNX MelWeightMatrix: [dft_length // 2 + 1, num_mel_bins] triangles over whole DFT
    bins. num_mel_bins + 2 points evenly spaced on the mel scale (2595 log10(1 + f / 700))
    from lower_edge_hertz, at steps of the range over num_mel_bins + 2, each floored to
    the bin (dft_length + 1) * f // sample_rate; band i rises from point i to point i + 1
    (1 there; a band whose first two points share a bin is 1 at that bin alone) and falls
    to 0 at point i + 2."""
    mels, n, rate = int(num_mel_bins), int(dft_length), int(sample_rate)
    lo, hi = float(lower_edge_hertz), float(upper_edge_hertz)
    if mels < 1 or n < 1 or rate < 1 or not 0 <= lo < hi:
        raise ValueError("positive counts and rate, 0 <= lower_edge_hertz < upper_edge_hertz")
    mel_lo, mel_hi = 2595 * np.log10(1 + lo / 700), 2595 * np.log10(1 + hi / 700)
    points = np.arange(mels + 2) * ((mel_hi - mel_lo) / (mels + 2)) + mel_lo
    bins = (((n + 1) * (700 * (10 ** (points / 2595) - 1))) // rate).astype(int)
    out = np.zeros((n // 2 + 1, mels))
    if bins[-1] > n // 2:
        raise ValueError("upper_edge_hertz lies beyond the last DFT bin")
    for i in range(mels):
        low, centre, high = bins[i : i + 3]
        if centre == low:
            out[centre, i] = 1.0
        else:
            out[low : centre + 1, i] = (np.arange(low, centre + 1) - low) / (centre - low)
        if high > centre:
            out[centre:high, i] = (high - np.arange(centre, high)) / (high - centre)
    return out.astype(np.float32)


def _keys_cubic(s: float, a: float = -0.75) -> float:
    """Keys' cubic convolution kernel at distance s (0 from 2 on)."""
    s = abs(s)
    if s <= 1:
        return ((a + 2) * s - (a + 3)) * s * s + 1
    return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a if s < 2 else 0.0


def _reflected(v: float, lo: float, hi: float) -> float:
    """v folded back into [lo, hi] by reflecting at both ends as often as it takes (a
    single point reflects onto itself)."""
    if lo <= v <= hi:
        return v
    span = hi - lo
    if span == 0:
        return lo
    turns, rest = divmod(lo - v if v < lo else v - hi, span)
    near, far = (lo, hi) if v < lo else (hi, lo)
    # an even number of whole turns ends going inward from the near end, an odd one from the far end
    end = near if turns % 2 == 0 else far
    return end + rest if end == lo else end - rest


def grid_sample(x: np.ndarray, grid: np.ndarray, align_corners: int = 0, mode: str = "linear",
                padding_mode: str = "zeros") -> np.ndarray:
    """ONNX GridSample over [N, C, H, W] (2-D): grid[n, i, j] = (gx, gy) in [-1, 1] is
    unnormalized to pixel coordinates (align_corners 1: -1 and 1 are the corner pixels'
    centres, 0: their outer edges); nearest rounds half to even first; a coordinate outside
    the border box is clamped (border) or reflected into it (reflection); the value is the
    nearest pixel, or the linear (2x2) or Keys cubic (4x4, a = -0.75) interpolation, pixels
    outside the image being 0 (zeros), the closest edge pixel (border) or reflected."""
    if x.ndim != 4 or grid.ndim != 4 or grid.shape[0] != x.shape[0] or grid.shape[-1] != 2:
        raise ValueError("x is [N, C, H, W] and grid [N, H_out, W_out, 2]")
    if mode not in ("linear", "nearest", "cubic") or padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("unknown mode or padding_mode")
    dims = x.shape[2:]
    lo = [0.0 if align_corners else -0.5] * 2
    hi = [d - 1.0 if align_corners else d - 0.5 for d in dims]

    def pixel(img: np.ndarray, at: tuple[int, int]) -> np.ndarray:
        idx = []
        for d, i in enumerate(at):
            if padding_mode == "zeros" and not 0 <= i < dims[d]:
                return np.zeros(img.shape[0])
            if padding_mode == "border":
                i = min(max(i, 0), dims[d] - 1)
            elif padding_mode == "reflection":
                i = int(_reflected(i, lo[d], hi[d]))
            idx.append(i)
        return img[:, idx[0], idx[1]]

    out = np.zeros((*x.shape[:2], *grid.shape[1:3]))
    for n, i, j in np.ndindex(grid.shape[0], *grid.shape[1:3]):
        img = x[n].astype(np.float64)
        at = []
        for d, g in enumerate((float(grid[n, i, j, 1]), float(grid[n, i, j, 0]))):
            v = (g + 1) / 2 * (dims[d] - 1) if align_corners else ((g + 1) * dims[d] - 1) / 2
            v = float(np.rint(v)) if mode == "nearest" else v
            if not lo[d] <= v <= hi[d] and padding_mode == "border":
                v = min(max(v, 0.0), dims[d] - 1.0)
            elif not lo[d] <= v <= hi[d] and padding_mode == "reflection":
                v = _reflected(v, lo[d], hi[d])
            at.append(v)
        if mode == "nearest":
            out[n, :, i, j] = pixel(img, (int(at[0]), int(at[1])))
            continue
        base = [math.floor(v) for v in at]
        frac = [v - b for v, b in zip(at, base, strict=True)]
        if mode == "linear":
            offsets = [((0, 1 - frac[d]), (1, frac[d])) for d in range(2)]
        else:
            offsets = [tuple((k, _keys_cubic(frac[d] - k)) for k in (-1, 0, 1, 2)) for d in range(2)]
        for dy, wy in offsets[0]:
            for dx, wx in offsets[1]:
                out[n, :, i, j] += wy * wx * pixel(img, (base[0] + dy, base[1] + dx))
    return out.astype(x.dtype)
