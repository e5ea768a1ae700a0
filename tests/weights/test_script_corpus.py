"""``swc weights script`` on models of the corpus (tests/python/test_models.py) whose
conversions build more than one call per layer: stacked and bidirectional LSTMs, LSTMs
whose final state is read, weight-normalised layers, layers of an untaken branch, and
the NumPy classes of passes/scaffolds. The source model's state_dict is saved, the
generated script runs on it in a fresh interpreter, and the converted model, loaded
from its output, must give the source's outputs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from switcheroo.backends.weights.convert import plan_from_models
from switcheroo.backends.weights.script import render_script
from switcheroo.weights import load_checkpoint

from tests.python.harness import build, make_input, run
from tests.python.helpers import convert, import_code
from tests.python.test_models import _IMPORT, CASES, GAPS

PAIRS = [
    *((c, t) for c in ("lstm_stacked",) for t in ("flax_nnx", "keras", "mlx", "numpy")),
    *((c, t) for c in ("lstm_final_state", "weight_norm") for t in ("keras", "mlx", "numpy")),
    ("branch", "keras"),
    *((c, "numpy") for c in ("lstm", "gru", "encoder_mha")),
]


@pytest.mark.slow
@pytest.mark.parametrize(("case", "target"), PAIRS, ids=[f"{c}-{t}" for c, t in PAIRS])
def test_script_migrates_corpus_model(tmp_path, case, target):
    pytest.importorskip(_IMPORT[target])
    if (case, target) in GAPS:
        pytest.skip(GAPS[(case, target)])
    file, cls, args, shape, *vocab = CASES[case]
    source = file.read_text()
    code, _ = convert(source, "torch", target, path=f"{case}.py")
    src = import_code(source, tmp_path, f"src_{case}_{target}_script")
    dst_module = import_code(code, tmp_path, f"dst_{case}_{target}_script")
    torch.manual_seed(0)
    ref = getattr(src, cls)(*args).eval()
    x = make_input(shape, *vocab)
    dst = build(dst_module, cls, args, target, x)
    cp = plan_from_models(ref, "torch", target, dst)
    assert cp.report.ok, cp.report.lines()
    ckpt, script, out = tmp_path / "in.pth", tmp_path / "migrate.py", tmp_path / "out.npz"
    torch.save(ref.state_dict(), ckpt)
    script.write_text(render_script(cp, cls, "torch", target))
    done = subprocess.run([sys.executable, "-I", str(script), str(ckpt), str(out)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert load_checkpoint(dst, out, target).ok
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(run(dst, target, x), want, rtol=1e-5, atol=1e-5)
