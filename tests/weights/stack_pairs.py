"""Stacked and bidirectional LSTM/GRU, and attention with its own key/value sizes.

A torch ``LSTM(num_layers=2, bidirectional=True)`` holds every layer and direction; the
targets spell them as a list of layers (nnx.Sequential, keras.Sequential, a list in
MLX), each a ``Bidirectional`` pair where the framework has one (MLX has none).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.weights.layer_pairs import Case, _keras, _randomise, _t

RNN_SHAPE = (2, 5, 3)


def _zero_bhn(mod: Any) -> Any:
    """Random weights with every b_hn zero (flax.nnx.GRUCell has no such bias)."""
    import torch

    _randomise(mod)
    with torch.no_grad():
        for name, p in mod.named_parameters():
            if name.startswith("bias_hh"):
                p[2 * mod.hidden_size :] = 0
    return mod


def _nnx_stack(cell: str, layers: int, both: bool):
    """nnx.Sequential of nnx.RNN (or nnx.Bidirectional pairs), hidden size 6."""

    def build():
        import jax.numpy as jnp
        from flax import nnx

        def rnn(n_in: int, seed: int) -> Any:
            return nnx.RNN(getattr(nnx, cell)(n_in, 6, rngs=nnx.Rngs(seed)))

        def layer(i: int) -> Any:
            n_in = 3 if i == 0 else (12 if both else 6)
            return (
                nnx.Bidirectional(rnn(n_in, 2 * i), rnn(n_in, 2 * i + 1)) if both else rnn(n_in, i)
            )

        m = nnx.Sequential(*[layer(i) for i in range(layers)]) if layers > 1 else layer(0)
        return m, lambda x: np.asarray(m(jnp.asarray(x)))

    return build


def _keras_stack(kind: str, layers: int, both: bool):
    def build_layers(L: Any) -> Any:
        def layer() -> Any:
            rnn = getattr(L, kind)(6, return_sequences=True)
            return L.Bidirectional(rnn) if both else rnn

        if layers == 1:
            return layer()
        import keras

        return keras.Sequential([layer() for _ in range(layers)])

    return _keras(build_layers, sample=RNN_SHAPE)


def _mlx_stack(kind: str, layers: int):
    def build():
        import mlx.core as mx
        from mlx import nn

        m = nn.Sequential(*[getattr(nn, kind)(3 if i == 0 else 6, 6) for i in range(layers)])

        def run(x: np.ndarray) -> np.ndarray:
            h = mx.array(x)
            for layer in m.layers:  # nn.LSTM returns (hidden, cell); GRU the hidden states
                out = layer(h)
                h = out[0] if isinstance(out, tuple) else out
            return np.array(h)

        return m, run

    return build


def _qkv(x: np.ndarray, kdim: int, vdim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Query x, and key/value inputs of their own sizes made from it."""
    return x, x[..., :kdim] * 0.5, x[..., -vdim:] * 1.5


def _mha_t(kdim: int, vdim: int):
    def run(mod: Any, x: np.ndarray) -> np.ndarray:
        import torch

        q, k, v = (torch.from_numpy(np.ascontiguousarray(a)) for a in _qkv(x, kdim, vdim))
        with torch.no_grad():
            return mod(q, k, v, need_weights=False)[0].numpy()

    return run


def _mha(fw: str, kdim: int, vdim: int):
    def build():
        if fw == "flax_nnx":
            import jax.numpy as jnp
            from flax import nnx

            assert kdim == vdim  # nnx.MultiHeadAttention has one in_kv_features
            m = nnx.MultiHeadAttention(
                num_heads=2, in_features=8, in_kv_features=kdim, decode=False, rngs=nnx.Rngs(0)
            )
            return m, lambda x: np.asarray(m(*(jnp.asarray(a) for a in _qkv(x, kdim, vdim))))
        if fw == "keras":
            import keras

            m = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
            q, k, v = _qkv(np.zeros((2, 5, 8), np.float32), kdim, vdim)
            m(q, v, k)
            return m, lambda x: keras.ops.convert_to_numpy(m(*_reorder_qvk(_qkv(x, kdim, vdim))))
        import mlx.core as mx
        from mlx import nn

        m = nn.MultiHeadAttention(
            8, 2, query_input_dims=8, key_input_dims=kdim, value_input_dims=vdim, bias=True
        )
        return m, lambda x: np.array(m(*(mx.array(a) for a in _qkv(x, kdim, vdim)), None))

    return build


def _reorder_qvk(qkv: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    q, k, v = qkv
    return q, v, k  # keras calls (query, value, key)


def stack_cases() -> dict[str, Case]:
    """The cases of this file, by name."""
    import torch

    tn = torch.nn
    out: dict[str, Case] = {
        "lstm_2_layers": Case(
            lambda: _randomise(tn.LSTM(3, 6, num_layers=2, batch_first=True)),
            _t,
            RNN_SHAPE,
            {
                "flax_nnx": _nnx_stack("LSTMCell", 2, False),
                "keras": _keras_stack("LSTM", 2, False),
                "mlx": _mlx_stack("LSTM", 2),
            },
        ),
        "lstm_bidirectional": Case(
            lambda: _randomise(tn.LSTM(3, 6, bidirectional=True, batch_first=True)),
            _t,
            RNN_SHAPE,
            {
                "flax_nnx": _nnx_stack("LSTMCell", 1, True),
                "keras": _keras_stack("LSTM", 1, True),
            },
        ),
        "lstm_2_layers_bidirectional": Case(
            lambda: _randomise(tn.LSTM(3, 6, num_layers=2, bidirectional=True, batch_first=True)),
            _t,
            RNN_SHAPE,
            {
                "flax_nnx": _nnx_stack("LSTMCell", 2, True),
                "keras": _keras_stack("LSTM", 2, True),
            },
        ),
        "gru_2_layers": Case(
            lambda: _randomise(tn.GRU(3, 6, num_layers=2, batch_first=True)),
            _t,
            RNN_SHAPE,
            {"keras": _keras_stack("GRU", 2, False), "mlx": _mlx_stack("GRU", 2)},
        ),
        "gru_2_layers_bidirectional": Case(
            lambda: _randomise(tn.GRU(3, 6, num_layers=2, bidirectional=True, batch_first=True)),
            _t,
            RNN_SHAPE,
            {"keras": _keras_stack("GRU", 2, True)},
        ),
        "gru_2_layers_bidirectional_no_bhn": Case(
            lambda: _zero_bhn(tn.GRU(3, 6, num_layers=2, bidirectional=True, batch_first=True)),
            _t,
            RNN_SHAPE,
            {"flax_nnx": _nnx_stack("GRUCell", 2, True)},
        ),
    }
    for kdim, vdim in ((5, 5), (5, 6)):
        fws = ("flax_nnx", "keras", "mlx") if kdim == vdim else ("keras", "mlx")
        out[f"multihead_attention_kdim{kdim}_vdim{vdim}"] = Case(
            lambda k=kdim, v=vdim: _randomise(
                tn.MultiheadAttention(8, 2, kdim=k, vdim=v, batch_first=True)
            ),
            _mha_t(kdim, vdim),
            (2, 5, 8),
            {fw: _mha(fw, kdim, vdim) for fw in fws},
        )
    return out
