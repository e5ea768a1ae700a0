"""Helper functions the generated Python includes when it needs them: StableHLO ops with
no one-call equivalent in the target framework (convolution with dimension numbers,
windowed reduction, clamped dynamic slices). One source text per (helper, framework);
the emitter copies in only the helpers a module uses."""

from __future__ import annotations

from switcheroo.backends.stablehlo.prelude_indexing import INDEXING_HELPERS

_NP_CONV = '''
def _conv(x, w, dn, strides, pads, rhs_dil, groups):
    """stablehlo.convolution: dn = ((b, f, spatial), (i, o, spatial), (b, f, spatial))."""
    (ib, if_, isp), (ki, ko, ksp), (ob, of, osp) = dn
    n = len(isp)
    x = np.transpose(x, (ib, if_, *isp))
    w = np.transpose(w, (ko, ki, *ksp))
    x = np.pad(x, [(0, 0), (0, 0), *[tuple(p) for p in pads]])
    if any(d != 1 for d in rhs_dil):
        k = np.zeros(w.shape[:2] + tuple((s - 1) * d + 1 for s, d in zip(w.shape[2:], rhs_dil)), w.dtype)
        k[(slice(None), slice(None), *(slice(None, None, d) for d in rhs_dil))] = w
        w = k
    win = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=tuple(range(2, 2 + n)))
    win = win[(slice(None), slice(None), *(slice(None, None, s) for s in strides))]
    cg, og = x.shape[1] // groups, w.shape[0] // groups
    o, sp, ks = 2 + 2 * n, list(range(2, 2 + n)), list(range(2 + n, 2 + 2 * n))
    outs = [
        np.einsum(win[:, g * cg:(g + 1) * cg], [0, 1, *sp, *ks], w[g * og:(g + 1) * og], [o, 1, *ks], [0, o, *sp])
        for g in range(groups)
    ]
    return np.transpose(np.concatenate(outs, axis=1), np.argsort((ob, of, *osp)))
'''

_TORCH_CONV = '''
def _conv(x, w, dn, strides, pads, rhs_dil, groups):
    """stablehlo.convolution: dn = ((b, f, spatial), (i, o, spatial), (b, f, spatial))."""
    (ib, if_, isp), (ki, ko, ksp), (ob, of, osp) = dn
    x = x.permute(ib, if_, *isp)
    w = w.permute(ko, ki, *ksp)
    x = torch.nn.functional.pad(x, [p for lo_hi in reversed(pads) for p in lo_hi])
    conv = (torch.nn.functional.conv1d, torch.nn.functional.conv2d, torch.nn.functional.conv3d)[len(isp) - 1]
    out = conv(x, w, stride=tuple(strides), dilation=tuple(rhs_dil), groups=groups)
    order = (ob, of, *osp)
    return out.permute(*sorted(range(len(order)), key=order.__getitem__))
'''

_JAX_CONV = '''
def _conv(x, w, dn, strides, pads, rhs_dil, groups):
    """stablehlo.convolution: dn = ((b, f, spatial), (i, o, spatial), (b, f, spatial))."""
    (ib, if_, isp), (ki, ko, ksp), (ob, of, osp) = dn
    numbers = jax.lax.ConvDimensionNumbers((ib, if_, *isp), (ko, ki, *ksp), (ob, of, *osp))
    return jax.lax.conv_general_dilated(
        x, w, tuple(strides), [tuple(p) for p in pads], rhs_dilation=tuple(rhs_dil),
        dimension_numbers=numbers, feature_group_count=groups)
'''

_NP_REDUCE_WINDOW = '''
def _reduce_window(x, init, fn, window, strides, pads):
    """stablehlo.reduce_window (no dilation): pad with init, reduce each window."""
    x = np.pad(x, [tuple(p) for p in pads], constant_values=init)
    v = np.lib.stride_tricks.sliding_window_view(x, tuple(window))
    v = v[tuple(slice(None, None, s) for s in strides)]
    return fn(v, axis=tuple(range(x.ndim, 2 * x.ndim)))
'''

_TORCH_REDUCE_WINDOW = '''
def _reduce_window(x, init, fn, window, strides, pads):
    """stablehlo.reduce_window (no dilation): pad with init, reduce each window."""
    x = torch.nn.functional.pad(x, [p for lo_hi in reversed(pads) for p in lo_hi], value=float(init))
    for d, (k, s) in enumerate(zip(window, strides)):
        x = x.unfold(d, k, s)
    return fn(x, dim=tuple(range(len(window), 2 * len(window))))
'''

_JAX_REDUCE_WINDOW = '''
def _reduce_window(x, init, fn, window, strides, pads):
    """stablehlo.reduce_window (no dilation)."""
    return jax.lax.reduce_window(x, init, fn, tuple(window), tuple(strides), [tuple(p) for p in pads])
'''

_DYNAMIC_SLICE = '''
def _dynamic_slice(x, starts, sizes):
    """stablehlo.dynamic_slice: start indices are clamped so the slice fits."""
    idx = tuple(slice(s, s + n) for s, n in zip(_clamp_starts(x, starts, sizes), sizes))
    return x[idx]
'''

_CLAMP = '''
def _clamp_starts(x, starts, sizes):
    return [min(max(int(s), 0), d - n) for s, d, n in zip(starts, x.shape, sizes)]
'''

_NP_DUS = '''
def _dynamic_update_slice(x, update, starts):
    """stablehlo.dynamic_update_slice on a copy (clamped start indices)."""
    out = np.array(x, copy=True)
    starts = _clamp_starts(x, starts, update.shape)
    out[tuple(slice(s, s + n) for s, n in zip(starts, update.shape))] = update
    return out
'''

_TORCH_DUS = '''
def _dynamic_update_slice(x, update, starts):
    """stablehlo.dynamic_update_slice on a copy (clamped start indices)."""
    out = x.clone()
    starts = _clamp_starts(x, starts, update.shape)
    out[tuple(slice(s, s + n) for s, n in zip(starts, update.shape))] = update
    return out
'''

_JAX_DS = '''
def _dynamic_slice(x, starts, sizes):
    """stablehlo.dynamic_slice (jax clamps the same way)."""
    return jax.lax.dynamic_slice(x, [jnp.asarray(s) for s in starts], tuple(sizes))
'''

_JAX_DUS = '''
def _dynamic_update_slice(x, update, starts):
    """stablehlo.dynamic_update_slice (jax clamps the same way)."""
    return jax.lax.dynamic_update_slice(x, update, [jnp.asarray(s) for s in starts])
'''

_NP_ERF = '''
def _erf(x):
    """Gauss error function (numpy has none; math.erf per element)."""
    import math
    return np.vectorize(math.erf, otypes=[x.dtype])(x)
'''

# helper -> framework -> (source, helpers it needs)
HELPERS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "_conv": {"numpy": (_NP_CONV, ()), "torch": (_TORCH_CONV, ()), "jax": (_JAX_CONV, ())},
    "_reduce_window": {
        "numpy": (_NP_REDUCE_WINDOW, ()),
        "torch": (_TORCH_REDUCE_WINDOW, ()),
        "jax": (_JAX_REDUCE_WINDOW, ()),
    },
    "_dynamic_slice": {
        "numpy": (_DYNAMIC_SLICE, ("_clamp_starts",)),
        "torch": (_DYNAMIC_SLICE, ("_clamp_starts",)),
        "jax": (_JAX_DS, ()),
    },
    "_dynamic_update_slice": {
        "numpy": (_NP_DUS, ("_clamp_starts",)),
        "torch": (_TORCH_DUS, ("_clamp_starts",)),
        "jax": (_JAX_DUS, ()),
    },
    "_clamp_starts": {"numpy": (_CLAMP, ()), "torch": (_CLAMP, ()), "jax": (_CLAMP, ())},
    "_erf": {"numpy": (_NP_ERF, ())},
}


def helper_sources(names: set[str], family: str) -> list[str]:
    """The sources of ``names`` and what they need, in a stable order."""
    want: set[str] = set()
    todo = list(names)
    while todo:
        n = todo.pop()
        if n in want:
            continue
        want.add(n)
        todo.extend(HELPERS[n][family][1])
    return [HELPERS[n][family][0].strip("\n") for n in sorted(want)]

_NP_SOFTMAX = '''
def _softmax(x, axis):
    """Softmax along axis, shifted by the max for stability."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
'''
HELPERS["_softmax"] = {"numpy": (_NP_SOFTMAX, ())}

_LAYER_NORM = '''
def _layer_norm(x, scale, bias, eps):
    """Layer normalization over the last axis (biased variance, as JAX computes it)."""
    mean = {xp}.mean(x, axis=-1, keepdims=True)
    var = {xp}.mean((x - mean) ** 2, axis=-1, keepdims=True)
    return (x - mean) / {xp}.sqrt(var + eps) * scale + bias
'''

_ATTENTION = '''
def _attention(q, k, v, scale):
    """softmax(q @ k^T * scale) @ v over the last two axes."""
    logits = q @ {xp}.swapaxes(k, -1, -2) * scale
    e = {xp}.exp(logits - {xp}.max(logits, axis=-1, keepdims=True))
    return e / {xp}.sum(e, axis=-1, keepdims=True) @ v
'''
HELPERS["_layer_norm"] = {
    "numpy": (_LAYER_NORM.replace("{xp}", "np"), ()), "jax": (_LAYER_NORM.replace("{xp}", "jnp"), ()),
}
HELPERS["_attention"] = {
    "numpy": (_ATTENTION.replace("{xp}", "np"), ()), "jax": (_ATTENTION.replace("{xp}", "jnp"), ()),
}

_CONV_BIAS = '''
def _conv_bias(x, w, b, strides, pads, dilations, groups):
    """ONNX Conv: channels-first x [N, C, *S], w [O, C/groups, *K], b [O]; pads are
    all begins then all ends."""
    n = len(strides)
    dn = ((0, 1, tuple(range(2, 2 + n))),) * 3
    dn = (dn[0], (1, 0, dn[0][2]), dn[0])
    pairs = [[pads[i], pads[n + i]] for i in range(n)]
    y = _conv(x, w, dn, list(strides), pairs, list(dilations), groups)
    return y + {xp}.reshape(b, (-1,) + (1,) * n)
'''
HELPERS["_conv_bias"] = {
    fam: (_CONV_BIAS.replace("{xp}", xp), ("_conv",))
    for fam, xp in (("numpy", "np"), ("torch", "torch"), ("jax", "jnp"))
}

HELPERS.update(INDEXING_HELPERS)

_UNMAPPED = '''
def _unmapped(op, *operands):
    """An op switcheroo could not translate (reported at conversion): fails when reached
    rather than compute a wrong value."""
    raise NotImplementedError(f"{op} was not translated")
'''
HELPERS["_unmapped"] = {fam: (_UNMAPPED, ()) for fam in ("numpy", "torch", "jax")}
