"""Helpers for StableHLO's indexing and ordering ops in generated Python: general
``gather``/``scatter`` (any dimension numbers, no Python loops: the operand index of every
result element is built as a grid by broadcasting), sorting several arrays by one key,
``top_k``. numpy and torch share one text with ``{xp}``-style slots; jax calls ``jax.lax``,
whose ops are StableHLO's own.
"""

from __future__ import annotations

# Slots filled per framework: the array namespace and a few spellings that differ.
_SLOTS = {
    "numpy": {"xp": "np", "moveaxis": "np.moveaxis", "clip": "np.clip", "int64": "np.int64",
              "bool": "bool", "copy": "np.array({x}, copy=True)"},
    "torch": {"xp": "torch", "moveaxis": "torch.movedim", "clip": "torch.clamp",
              "int64": "torch.int64", "bool": "torch.bool", "copy": "{x}.clone(memory_format=torch.contiguous_format)"},
}

_GRID = '''
def _on(dims, v, rank):
    """``v`` laid along the result dimensions ``dims`` (size 1 on the others)."""
    shape = [1] * rank
    for d, n in zip(dims, v.shape):
        shape[d] = n
    return {xp}.reshape(v, shape)
'''

_GATHER = '''
def _gather(x, idx, offset_dims, collapsed, batching, idx_batching, start_map, ivd, sizes):
    """stablehlo.gather, any dimension numbers: start indices are clamped so each slice
    fits, then every result element reads x at (start + batch + offset)."""
    if ivd == idx.ndim:
        idx = {xp}.reshape(idx, (*idx.shape, 1))
    idx = {moveaxis}(idx, ivd, -1)
    batch = idx.shape[:-1]
    rank = len(batch) + len(offset_dims)
    batch_pos = [d for d in range(rank) if d not in offset_dims]
    window = [d for d in range(x.ndim) if d not in collapsed and d not in batching]
    shape = [0] * rank
    for d, n in zip(batch_pos, batch):
        shape[d] = n
    for d, w in zip(offset_dims, window):
        shape[d] = sizes[w]
    grid = []
    for d in range(x.ndim):
        g = {xp}.zeros(shape, dtype={int64})
        if d in start_map:
            start = {clip}(idx[..., start_map.index(d)], 0, x.shape[d] - sizes[d])
            g = g + _on(batch_pos, start, rank)
        elif d in batching:
            b = idx_batching[batching.index(d)]
            b = b if b < ivd else b - 1
            g = g + _on([batch_pos[b]], {xp}.arange(batch[b]), rank)
        if d in window:
            g = g + _on([offset_dims[window.index(d)]], {xp}.arange(sizes[d]), rank)
        grid.append(g)
    return x[tuple(grid)]
'''

_SCATTER = '''
def _scatter(x, idx, updates, kind, window_dims, inserted, batching, idx_batching, to_operand, ivd):
    """stablehlo.scatter, any dimension numbers: every update element goes to
    (start + batch + window offset) of a copy of x, combined by ``kind``; an update
    window that does not fit in x is skipped, as XLA does."""
    if ivd == idx.ndim:
        idx = {xp}.reshape(idx, (*idx.shape, 1))
    idx = {moveaxis}(idx, ivd, -1)
    rank = updates.ndim
    scatter_pos = [d for d in range(rank) if d not in window_dims]
    window = [d for d in range(x.ndim) if d not in inserted and d not in batching]
    fits = {xp}.ones(updates.shape, dtype={bool})
    grid = []
    for d in range(x.ndim):
        size = updates.shape[window_dims[window.index(d)]] if d in window else 1
        g = {xp}.zeros(updates.shape, dtype={int64})
        if d in to_operand:
            start = _on(scatter_pos, idx[..., to_operand.index(d)], rank)
            fits = fits & (start >= 0) & (start <= x.shape[d] - size)
            g = g + start
        elif d in batching:
            b = idx_batching[batching.index(d)]
            b = b if b < ivd else b - 1
            g = g + _on([scatter_pos[b]], {xp}.arange(idx.shape[b]), rank)
        if d in window:
            g = g + _on([window_dims[window.index(d)]], {xp}.arange(size), rank)
        grid.append(g)
    out = {copy_x}
    _combine_at(out, tuple(g[fits] for g in grid), updates[fits], kind)
    return out
'''

_NP_COMBINE = '''
def _combine_at(out, index, values, kind):
    """out[index] = values, or combined with what is there (repeated indices accumulate)."""
    if kind == "set":
        out[index] = values
    else:
        getattr(np, kind).at(out, index, values)
'''

_TORCH_COMBINE = '''
def _combine_at(out, index, values, kind):
    """out[index] = values, or combined with what is there (repeated indices accumulate)."""
    if kind in ("set", "add"):
        out.index_put_(index, values, accumulate=kind == "add")
        return
    flat = sum(i * s for i, s in zip(index, out.stride()))
    reduce = {"multiply": "prod", "maximum": "amax", "minimum": "amin"}[kind]
    out.view(-1).scatter_reduce_(0, flat, values, reduce=reduce)
'''

_JAX_GATHER = '''
def _gather(x, idx, offset_dims, collapsed, batching, idx_batching, start_map, ivd, sizes):
    """stablehlo.gather through jax.lax.gather (index vector last, clamped starts)."""
    if ivd == idx.ndim:
        idx = idx[..., None]
    idx = jnp.moveaxis(idx, ivd, -1)
    numbers = jax.lax.GatherDimensionNumbers(
        offset_dims=tuple(offset_dims), collapsed_slice_dims=tuple(collapsed),
        start_index_map=tuple(start_map), operand_batching_dims=tuple(batching),
        start_indices_batching_dims=tuple(b if b < ivd else b - 1 for b in idx_batching))
    return jax.lax.gather(x, idx, numbers, tuple(sizes), mode="clip")
'''

_JAX_SCATTER = '''
def _scatter(x, idx, updates, kind, window_dims, inserted, batching, idx_batching, to_operand, ivd):
    """stablehlo.scatter through jax.lax (index vector last; XLA skips windows that do not fit)."""
    if ivd == idx.ndim:
        idx = idx[..., None]
    idx = jnp.moveaxis(idx, ivd, -1)
    numbers = jax.lax.ScatterDimensionNumbers(
        update_window_dims=tuple(window_dims), inserted_window_dims=tuple(inserted),
        scatter_dims_to_operand_dims=tuple(to_operand), operand_batching_dims=tuple(batching),
        scatter_indices_batching_dims=tuple(b if b < ivd else b - 1 for b in idx_batching))
    scatter = {"set": jax.lax.scatter, "add": jax.lax.scatter_add, "multiply": jax.lax.scatter_mul,
               "maximum": jax.lax.scatter_max, "minimum": jax.lax.scatter_min}[kind]
    return scatter(x, idx, updates, numbers, mode="promise_in_bounds")
'''

_NP_SORT = '''
def _sort_along(axis, key, descending, *xs):
    """stablehlo.sort of several arrays by ``xs[key]`` along ``axis``, stable; descending
    order sorts the reversed array ascending so equal keys keep their order."""
    k = xs[key]
    if descending:
        flipped = np.argsort(np.flip(k, axis), axis=axis, kind="stable")
        order = k.shape[axis] - 1 - np.flip(flipped, axis)
    else:
        order = np.argsort(k, axis=axis, kind="stable")
    return tuple(np.take_along_axis(x, order, axis=axis) for x in xs)
'''

_TORCH_SORT = '''
def _sort_along(axis, key, descending, *xs):
    """stablehlo.sort of several arrays by ``xs[key]`` along ``axis``, stable."""
    order = torch.sort(xs[key], dim=axis, descending=descending, stable=True).indices
    return tuple(torch.take_along_dim(x, order, dim=axis) for x in xs)
'''

_JAX_SORT = '''
def _sort_along(axis, key, descending, *xs):
    """stablehlo.sort of several arrays by ``xs[key]`` along ``axis``, stable."""
    order = jnp.argsort(xs[key], axis=axis, descending=descending, stable=True)
    return tuple(jnp.take_along_axis(x, order, axis=axis) for x in xs)
'''

_NP_TOP_K = '''
def _top_k(x, k):
    """chlo.top_k: the k largest along the last axis, largest first, ties by lower index."""
    values, indices = _sort_along(-1, 0, True, x, np.broadcast_to(np.arange(x.shape[-1], dtype=np.int32), x.shape))
    return values[..., :k], indices[..., :k]
'''

_TORCH_TOP_K = '''
def _top_k(x, k):
    """chlo.top_k: the k largest along the last axis, largest first, ties by lower index."""
    values, indices = torch.sort(x, dim=-1, descending=True, stable=True)
    return values[..., :k], indices[..., :k].to(torch.int32)
'''


def _fill(text: str, family: str) -> str:
    slots = _SLOTS[family]
    text = text.replace("{copy_x}", slots["copy"].format(x="x"))
    for k, v in slots.items():
        text = text.replace("{" + k + "}", v)
    return text


# helper -> framework -> (source, helpers it needs); merged into ``prelude.HELPERS``.
INDEXING_HELPERS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "_on": {fam: (_fill(_GRID, fam), ()) for fam in ("numpy", "torch")},
    "_gather": {
        "numpy": (_fill(_GATHER, "numpy"), ("_on",)),
        "torch": (_fill(_GATHER, "torch"), ("_on",)),
        "jax": (_JAX_GATHER, ()),
    },
    "_scatter": {
        "numpy": (_fill(_SCATTER, "numpy"), ("_on", "_combine_at")),
        "torch": (_fill(_SCATTER, "torch"), ("_on", "_combine_at")),
        "jax": (_JAX_SCATTER, ()),
    },
    "_combine_at": {"numpy": (_NP_COMBINE, ()), "torch": (_TORCH_COMBINE, ())},
    "_sort_along": {"numpy": (_NP_SORT, ()), "torch": (_TORCH_SORT, ()), "jax": (_JAX_SORT, ())},
    "_top_k": {"numpy": (_NP_TOP_K, ("_sort_along",)), "torch": (_TORCH_TOP_K, ())},
}
