"""Training code converted from torch to Keras 3 (TensorFlow backend): a custom step with
``tf.GradientTape`` and the Keras optimizer's ``apply_gradients``.

Keras's Adam adds epsilon before bias correction (torch after it), so equal weights
need an epsilon too small to matter on both sides; with the source's own epsilon the
step is only shown to train (see KERAS_ADAM in test_training.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.python.helpers import convert, import_code
from tests.python.test_training import CASES, MODELS, batches, target_run, torch_run

pytest.importorskip("tensorflow")


def _converted(case: str, tmp_path, eps: str | None = None):
    file, cls, width, labels = CASES[case]
    source = (MODELS / file).read_text()
    if eps is not None:
        source = source.replace("eps=1e-7", f"eps={eps}")
    code, report = convert(source, "torch", "keras", path=file)
    assert report.count("warning") == 0, [str(d) for d in report.diagnostics]
    assert "backward" not in code and "zero_grad" not in code and "torch" not in code
    tag = f"{case}_{eps or 'src'}"
    return (import_code(source, tmp_path, f"ktrain_src_{tag}"), import_code(code, tmp_path, f"ktrain_dst_{tag}"),
            code, cls, batches(width, labels))


def test_keras_step_is_a_gradient_tape_step():
    source = (MODELS / "train_clip_torch.py").read_text()
    code, _ = convert(source, "torch", "keras")
    assert "with tf.GradientTape() as tape:" in code
    assert "grads = tape.gradient(loss, model.trainable_variables)" in code
    assert "grads, _ = tf.clip_by_global_norm(grads, 0.5)" in code
    assert "optimizer.apply_gradients(zip(grads, model.trainable_variables))" in code


@pytest.mark.parametrize("case", sorted(CASES))
def test_keras_training_lowers_the_loss(case, tmp_path):
    import torch

    src, dst, _, cls, data = _converted(case, tmp_path)
    torch.manual_seed(0)
    ref = getattr(src, cls)()
    # The same batch again and again: a training step must lower its loss.
    _, losses = target_run(dst, cls, "keras", ref, [data[0]] * 8)
    assert losses[-1] < losses[0], losses


def test_keras_adam_with_a_negligible_epsilon_matches_torch(tmp_path):
    import torch
    from switcheroo.weights import transfer

    src, dst, code, cls, data = _converted("adam_cross_entropy", tmp_path, eps="1e-12")
    assert "epsilon=1e-12" in code
    torch.manual_seed(0)
    ref = getattr(src, cls)()
    model, losses = target_run(dst, cls, "keras", ref, data)
    trained, _, want = torch_run(src, cls, data)
    np.testing.assert_allclose(losses, want, rtol=1e-5, atol=1e-5)
    back = getattr(src, cls)()
    transfer(model, back, src="keras", dst="torch")
    got = back.state_dict()
    for k, v in trained.state_dict().items():
        np.testing.assert_allclose(got[k].numpy(), v.detach().numpy(), rtol=1e-5, atol=1e-5, err_msg=k)
