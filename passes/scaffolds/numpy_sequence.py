"""Layers of NumPy output over sequences: recurrent layers, attention, weight normalisation.

Like ``numpy_layers``, each class keeps PyTorch's parameter names and layouts (an LSTM's
``weight_ih_l0`` is (4 * hidden, input) with the gates in the order i, f, g, o) and
computes what PyTorch's layer computes in eval mode (no dropout between layers).
"""

import numpy as np

from .numpy_layers import Linear


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _masked(scores, mask):
    """A boolean mask hides the positions where it is True; a float mask is added."""
    return np.where(mask, -np.inf, scores) if mask.dtype == bool else scores + mask


class _RNNBase:
    """A stack of ``num_layers`` recurrences over (T, N, F) input (N, T, F when
    ``batch_first``), each layer run forward and, when ``bidirectional``, backward too; the
    parameters of layer k are ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (``..._reverse`` for the backward direction), as PyTorch names them."""

    gates = 1

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False):
        self.hidden_size, self.num_layers = hidden_size, num_layers
        self.batch_first, self.bidirectional = batch_first, bidirectional
        self.dropout = dropout  # drops between layers in training only
        directions = ("", "_reverse") if bidirectional else ("",)
        for layer in range(num_layers):
            size = input_size if layer == 0 else hidden_size * len(directions)
            for suffix in directions:
                name = f"l{layer}{suffix}"
                setattr(self, f"weight_ih_{name}", np.zeros((self.gates * hidden_size, size), np.float32))
                setattr(self, f"weight_hh_{name}", np.zeros((self.gates * hidden_size, hidden_size), np.float32))
                if bias:
                    setattr(self, f"bias_ih_{name}", np.zeros(self.gates * hidden_size, np.float32))
                    setattr(self, f"bias_hh_{name}", np.zeros(self.gates * hidden_size, np.float32))

    def _params(self, layer, suffix):
        name = f"l{layer}{suffix}"
        zero = np.zeros(self.gates * self.hidden_size, np.float32)
        return (getattr(self, f"weight_ih_{name}"), getattr(self, f"weight_hh_{name}"),
                getattr(self, f"bias_ih_{name}", zero), getattr(self, f"bias_hh_{name}", zero))

    def _run(self, x, states):
        """x (T, N, F); states: one initial state per (layer, direction), in PyTorch's
        order. Returns the last layer's outputs (T, N, D * H) and the final states."""
        directions = ("", "_reverse") if self.bidirectional else ("",)
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for d, suffix in enumerate(directions):
                state = states[layer * len(directions) + d]
                w_ih, w_hh, b_ih, b_hh = self._params(layer, suffix)
                # The input projections of every step at once; the recurrence step by step.
                projected = x @ w_ih.T + b_ih
                steps = range(len(x) - 1, -1, -1) if suffix else range(len(x))
                out = [None] * len(x)
                for t in steps:
                    state = self._step(projected[t], state, w_hh, b_hh)
                    out[t] = self._hidden(state)
                outputs.append(np.stack(out))
                finals.append(state)
            x = np.concatenate(outputs, axis=-1)
        return x, finals

    def _prepare(self, x):
        """(T, N, F) input and whether it was unbatched (T, F)."""
        if x.ndim == 2:
            return x[:, None], True
        return (x.swapaxes(0, 1) if self.batch_first else x), False

    def _finish(self, out, unbatched):
        if unbatched:
            return out[:, 0]
        return out.swapaxes(0, 1) if self.batch_first else out

    def _zeros(self, x):
        count = self.num_layers * (2 if self.bidirectional else 1)
        return np.zeros((count, x.shape[1], self.hidden_size), x.dtype)


class LSTM(_RNNBase):
    """Gates i, f, g, o: c' = f * c + i * g, h' = o * tanh(c'). Returns
    ``output, (h_n, c_n)``, the states (num_layers * directions, N, H)."""

    gates = 4

    def _step(self, projected, state, w_hh, b_hh):
        h, c = state
        i, f, g, o = np.split(projected + h @ w_hh.T + b_hh, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        return _sigmoid(o) * np.tanh(c), c

    def _hidden(self, state):
        return state[0]

    def __call__(self, input, hx=None):
        x, unbatched = self._prepare(input)
        if hx is None:
            h0 = c0 = self._zeros(x)
        else:
            h0, c0 = (s[:, None] if unbatched else s for s in hx)
        out, finals = self._run(x, list(zip(h0, c0)))
        h_n = np.stack([h for h, _ in finals])
        c_n = np.stack([c for _, c in finals])
        if unbatched:
            h_n, c_n = h_n[:, 0], c_n[:, 0]
        return self._finish(out, unbatched), (h_n, c_n)


class GRU(_RNNBase):
    """Gates r, z, n: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
    Returns ``output, h_n``, h_n (num_layers * directions, N, H)."""

    gates = 3

    def _step(self, projected, h, w_hh, b_hh):
        x_r, x_z, x_n = np.split(projected, 3, axis=-1)
        h_r, h_z, h_n = np.split(h @ w_hh.T + b_hh, 3, axis=-1)
        r = _sigmoid(x_r + h_r)
        z = _sigmoid(x_z + h_z)
        n = np.tanh(x_n + r * h_n)
        return (1 - z) * n + z * h

    def _hidden(self, state):
        return state

    def __call__(self, input, hx=None):
        x, unbatched = self._prepare(input)
        h0 = self._zeros(x) if hx is None else (hx[:, None] if unbatched else hx)
        out, finals = self._run(x, list(h0))
        h_n = np.stack(finals)
        return self._finish(out, unbatched), (h_n[:, 0] if unbatched else h_n)


class MultiheadAttention:
    """Scaled dot-product attention over ``num_heads`` heads. ``in_proj_weight`` (3E, E)
    stacks the q, k and v projections; ``out_proj`` maps the joined heads back. Inputs are
    (L, N, E) ((N, L, E) when ``batch_first``); returns ``output, weights``, the weights
    (N, L, S) averaged over the heads (per head when ``average_attn_weights=False``) or
    None when ``need_weights=False``."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False):
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.dropout, self.batch_first = dropout, batch_first  # dropout acts in training only
        self.in_proj_weight = np.zeros((3 * embed_dim, embed_dim), np.float32)
        self.in_proj_bias = np.zeros(3 * embed_dim, np.float32) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)

    def __call__(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                 average_attn_weights=True, is_causal=False):
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = query[:, None], key[:, None], value[:, None]
            key_padding_mask = None if key_padding_mask is None else key_padding_mask[None]
        elif self.batch_first:
            query, key, value = query.swapaxes(0, 1), key.swapaxes(0, 1), value.swapaxes(0, 1)
        (tgt, n, e), src, h = query.shape, key.shape[0], self.num_heads
        biases = np.split(self.in_proj_bias, 3) if self.in_proj_bias is not None else (0, 0, 0)
        w_q, w_k, w_v = np.split(self.in_proj_weight, 3)
        # (L, N, E) -> (N, heads, L, E / heads)
        q = (query @ w_q.T + biases[0]).reshape(tgt, n, h, e // h).transpose(1, 2, 0, 3)
        k = (key @ w_k.T + biases[1]).reshape(src, n, h, e // h).transpose(1, 2, 0, 3)
        v = (value @ w_v.T + biases[2]).reshape(src, n, h, e // h).transpose(1, 2, 0, 3)
        scores = q @ k.swapaxes(-1, -2) / np.sqrt(np.float32(e // h))
        if is_causal and attn_mask is None:
            attn_mask = np.triu(np.ones((tgt, src), bool), 1)
        if attn_mask is not None:
            scores = _masked(scores, attn_mask.reshape(n, h, tgt, src) if attn_mask.ndim == 3 else attn_mask)
        if key_padding_mask is not None:
            scores = _masked(scores, key_padding_mask[:, None, None, :])
        scores = scores - scores.max(axis=-1, keepdims=True)
        weights = np.exp(scores)
        weights = weights / weights.sum(axis=-1, keepdims=True)
        out = (weights @ v).transpose(2, 0, 1, 3).reshape(tgt, n, e)
        out = self.out_proj(out)
        if unbatched:
            out, weights = out[:, 0], weights[0]
        elif self.batch_first:
            out = out.swapaxes(0, 1)
        if not need_weights:
            return out, None
        return out, (weights.mean(axis=-3) if average_attn_weights else weights)


class WeightNorm:
    """Calls ``module`` with its ``name`` parameter rebuilt as g * v / ||v||, the norm over
    every axis but ``dim`` (PyTorch's ``weight_norm``); g is ``weight_g``, v ``weight_v``."""

    def __init__(self, module, name="weight", dim=0):
        self.module, self.name, self.dim = module, name, dim
        weight = getattr(module, name)
        self.weight_g = np.ones(self._norm_shape(weight), weight.dtype)
        self.weight_v = weight.copy()

    def _norm_shape(self, weight):
        if self.dim is None:
            return ()
        return [d if i == self.dim % weight.ndim else 1 for i, d in enumerate(weight.shape)]

    def __call__(self, *args, **kwargs):
        v = self.weight_v
        axes = tuple(i for i in range(v.ndim) if self.dim is None or i != self.dim % v.ndim)
        norm = np.sqrt((v * v).sum(axis=axes)).reshape(self._norm_shape(v))
        setattr(self.module, self.name, self.weight_g * v / norm)
        return self.module(*args, **kwargs)
