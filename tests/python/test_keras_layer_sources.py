"""Keras code as its users write it: a custom ``keras.layers.Layer`` whose ``call`` passes
``training=`` to its Dropout and BatchNormalization. The layer base is a module base; the
per-call mode becomes the module's mode (torch ``eval()``), the argument left out with a
note. Converted to torch and Flax NNX, weights transferred, outputs compared in inference.
"""

from __future__ import annotations

import numpy as np
import pytest

from switcheroo.diagnostics import Report
from switcheroo.translate_main import Translator
from tests.python.helpers import import_code

SOURCE = '''import keras
from keras import layers


class Block(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(8)
        self.drop = layers.Dropout(0.1)
        self.bn = layers.BatchNormalization()

    def call(self, x, training=False):
        h = self.drop(self.dense(x), training=training)
        return self.bn(h, training=training)
'''
X = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)


@pytest.mark.parametrize("target", ["torch", "flax_nnx"])
def test_keras_layer_with_training_calls(tmp_path, target):
    pytest.importorskip("keras")
    report = Report()
    code = Translator("keras", target, input_shapes="?x4").run(SOURCE, "block_keras.py", report)
    assert "training=training)" not in code and "unmapped" not in code, code
    notes = [str(d) for d in report.diagnostics if d.severity == "note" and "training= left out" in str(d)]
    assert len(notes) == 2, [str(d) for d in report.diagnostics]
    from switcheroo.weights import transfer

    src = import_code(SOURCE, tmp_path, f"keras_block_{target}").Block()
    rng = np.random.default_rng(1)
    src(X)  # build
    for w in src.weights:  # statistics away from their defaults, so the copy shows
        w.assign(rng.uniform(0.5, 1.5, w.shape).astype(np.float32))
    want = np.asarray(src(X, training=False))
    dst_mod = import_code(code, tmp_path, f"ported_block_{target}")
    if target == "torch":
        import torch

        dst = dst_mod.Block()
        dst(torch.from_numpy(X))  # LazyLinear takes its size from the first call
        transfer(src, dst, src="keras", dst="torch")
        dst.eval()
        with torch.no_grad():
            got = dst(torch.from_numpy(X)).numpy()
    else:
        from flax import nnx

        dst = dst_mod.Block(rngs=nnx.Rngs(0))
        transfer(src, dst, src="keras", dst="flax_nnx")
        dst.eval()
        got = np.asarray(dst(X))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


FUSED = '''import keras
from keras import layers, ops


class Residual(keras.layers.Layer):
    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(units, activation="relu")
        self.out = layers.Dense(units, activation="linear")
        self.norm = layers.LayerNormalization(epsilon=1e-5)
        self.drop = layers.Dropout(0.1)

    def call(self, x, training=False):
        h = self.drop(self.dense(x), training=training)
        h = ops.mean(h, axis=-1, keepdims=True) * self.out(h)
        return self.norm(x + h)
'''


@pytest.mark.parametrize("target", ["torch", "flax_nnx", "mlx"])
def test_fused_activation_becomes_its_call(tmp_path, target):
    pytest.importorskip("keras")
    report = Report()
    code = Translator("keras", target, input_shapes="?x4").run(FUSED, "residual_keras.py", report)
    assert "unmapped" not in code and "activation" not in code, code
    assert "relu(self.dense(x))" in code, code
    from switcheroo.weights import transfer

    src = import_code(FUSED, tmp_path, f"keras_residual_{target}").Residual(4)
    src(X)
    want = np.asarray(src(X, training=False))
    dst_mod = import_code(code, tmp_path, f"ported_residual_{target}")
    if target == "torch":
        import torch

        dst = dst_mod.Residual(4)
        transfer(src, dst, src="keras", dst="torch")
        dst.eval()
        with torch.no_grad():
            got = dst(torch.from_numpy(X)).numpy()
    elif target == "flax_nnx":
        from flax import nnx

        dst = dst_mod.Residual(4, rngs=nnx.Rngs(0))
        transfer(src, dst, src="keras", dst="flax_nnx")
        dst.eval()
        got = np.asarray(dst(X))
    else:
        import mlx.core as mx

        dst = dst_mod.Residual(4)
        transfer(src, dst, src="keras", dst="mlx")
        dst.eval()
        got = np.asarray(dst(mx.array(X)))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


TF_KERAS = '''import tensorflow as tf


class Net(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.conv = tf.keras.layers.Conv2D(8, 3, padding="same", activation="relu")
        self.pool = tf.keras.layers.GlobalAveragePooling2D()
        self.fc = tf.keras.layers.Dense(10)

    def call(self, x):
        h = self.pool(self.conv(x))
        return tf.nn.softmax(self.fc(h), axis=-1)
'''


@pytest.mark.parametrize("target", ["torch", "flax_nnx"])
def test_tf_keras_model(tmp_path, target):
    pytest.importorskip("tensorflow")
    report = Report()
    code = Translator("tensorflow", target, input_shapes="?x8x8x3").run(TF_KERAS, "net_tf.py", report)
    assert "unmapped" not in code and "keras" not in code, code
    from switcheroo.weights import transfer

    x = np.random.default_rng(2).standard_normal((2, 8, 8, 3)).astype(np.float32)
    src = import_code(TF_KERAS, tmp_path, f"tf_net_{target}").Net()
    want = np.asarray(src(x))
    dst_mod = import_code(code, tmp_path, f"ported_tf_net_{target}")
    if target == "torch":
        import torch

        dst = dst_mod.Net()
        transfer(src, dst, src="tensorflow", dst="torch")
        with torch.no_grad():
            got = dst(torch.from_numpy(x)).numpy()
    else:
        from flax import nnx

        dst = dst_mod.Net(rngs=nnx.Rngs(0))
        transfer(src, dst, src="tensorflow", dst="flax_nnx")
        got = np.asarray(dst(x))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
