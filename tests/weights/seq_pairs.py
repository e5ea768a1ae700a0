"""Embedding, LSTM, GRU and multi-head attention cases (see layer_pairs)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.weights.layer_pairs import Case, _keras, _mlx, _nnx, _randomise, _t


def _ids(x: np.ndarray) -> np.ndarray:
    return (np.abs(x[..., 0]) * 7).astype(np.int32) % 10


def _embed_t(mod: Any, x: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return mod(torch.from_numpy(_ids(x)).long()).numpy()


def _embed(fw: str):
    def build():
        if fw == "flax_nnx":
            import jax.numpy as jnp
            from flax import nnx

            m = nnx.Embed(10, 4, rngs=nnx.Rngs(0))
            return m, lambda x: np.asarray(m(jnp.asarray(_ids(x))))
        if fw == "keras":
            import keras

            m = keras.layers.Embedding(10, 4)
            m(np.zeros((2, 3), np.int32))
            return m, lambda x: keras.ops.convert_to_numpy(m(_ids(x)))
        import mlx.core as mx
        from mlx import nn

        m = nn.Embedding(10, 4)
        return m, lambda x: np.array(m(mx.array(_ids(x))))

    return build


def _gru_no_bhn(mod: Any) -> Any:
    import torch

    _randomise(mod)
    with torch.no_grad():
        h = mod.hidden_size
        mod.bias_hh_l0[2 * h :] = 0  # flax.nnx.GRUCell has no b_hn
    return mod


def _mha_t(mod: Any, x: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        t = torch.from_numpy(x)
        return mod(t, t, t, need_weights=False)[0].numpy()


def _mha(fw: str):
    def build():
        if fw == "flax_nnx":
            import jax.numpy as jnp
            from flax import nnx

            m = nnx.MultiHeadAttention(num_heads=2, in_features=8, decode=False, rngs=nnx.Rngs(0))
            return m, lambda x: np.asarray(m(jnp.asarray(x)))
        if fw == "keras":
            import keras

            m = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
            z = np.zeros((2, 5, 8), np.float32)
            m(z, z)
            return m, lambda x: keras.ops.convert_to_numpy(m(x, x, x))
        import mlx.core as mx
        from mlx import nn

        m = nn.MultiHeadAttention(8, 2, bias=True)
        return m, lambda x: np.array(m(mx.array(x), mx.array(x), mx.array(x), None))

    return build


def seq_cases() -> dict[str, Case]:
    """The cases of this file, by name."""
    import torch

    tn = torch.nn
    rnn_shape = (2, 5, 3)
    return {
        "embedding": Case(
            lambda: tn.Embedding(10, 4),
            _embed_t,
            (2, 3, 1),
            {fw: _embed(fw) for fw in ("flax_nnx", "keras", "mlx")},
        ),
        "lstm": Case(
            lambda: _randomise(tn.LSTM(3, 6, batch_first=True)),
            _t,
            rnn_shape,
            {
                "flax_nnx": _nnx(lambda nnx: nnx.RNN(nnx.LSTMCell(3, 6, rngs=nnx.Rngs(0)))),
                "keras": _keras(lambda L: L.LSTM(6, return_sequences=True), sample=rnn_shape),
                "mlx": _mlx(lambda nn: nn.LSTM(3, 6)),
            },
        ),
        "gru": Case(
            lambda: _randomise(tn.GRU(3, 6, batch_first=True)),
            _t,
            rnn_shape,
            {
                "keras": _keras(lambda L: L.GRU(6, return_sequences=True), sample=rnn_shape),
                "mlx": _mlx(lambda nn: nn.GRU(3, 6)),
            },
        ),
        "gru_no_bhn": Case(
            lambda: _gru_no_bhn(tn.GRU(3, 6, batch_first=True)),
            _t,
            rnn_shape,
            {"flax_nnx": _nnx(lambda nnx: nnx.RNN(nnx.GRUCell(3, 6, rngs=nnx.Rngs(0))))},
        ),
        "multihead_attention": Case(
            lambda: _randomise(tn.MultiheadAttention(8, 2, batch_first=True)),
            _mha_t,
            (2, 5, 8),
            {fw: _mha(fw) for fw in ("flax_nnx", "keras", "mlx")},
        ),
    }
