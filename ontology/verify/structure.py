"""Verify module methods and base classes (``kind: method``, ``kind: base_class``).

These mappings are claims about program structure (``torch.nn.Module.train`` is
``mlx.nn.Module.train``, ``torch.nn.Parameter`` is ``flax.nnx.Param``), so the evidence is
their effect on a converted model. A small torch model (:data:`MODELS`) is converted by
switcheroo's translator to each framework, built and given the torch model's weights by
``switcheroo.weights.transfer``; then each framework's mapped API acts on it and the
result is compared with torch's (:data:`CHECKS`, one function per op):

- ``train_mode`` / ``eval_mode``: a Linear, BatchNorm and Dropout(p=0) model is switched
  to training (outputs use the batch statistics, and update the running ones), called,
  switched to inference and called twice (deterministic, running statistics used);
- ``parameters``: the same number of trainable arrays, with the same values (matched as
  multisets, so that a transposed layout still matches);
- ``state_dict``: the same float arrays (parameters and running statistics);
- ``load_state_dict``: a second converted model, loaded with the first one's state in the
  framework's own form (:data:`STATE_OF`), computes what the first computes;
- ``Module``: the converted class derives from the mapped base and computes the same;
- ``Parameter`` / ``Buffer``: a model holding an extra parameter (buffer) converts to one
  whose attribute is an instance of the mapped class, counted among the trainable
  (non-trainable) state, and computes the same after the transfer;
- ``Tensor``: a converted ``isinstance(x, torch.Tensor)`` is true for the framework's
  array (and the result of an op on it), false for a Python list.

Ops whose mappings name no installed second framework are compared with nothing and
``skipped``; the torch mapping is the reference.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec
from switcheroo.ontology.verify import adapters
from switcheroo.ontology.verify import layer_models as lm
from switcheroo.ontology.verify.calls import resolve
from switcheroo.ontology.verify.check import PairResult, _error_text
from switcheroo.ontology.verify.compare import compare

REFERENCE = "torch"
SEEDS = (0, 1, 2)

_BN_MODEL = """\
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 4)
        self.bn = torch.nn.BatchNorm1d(4)
        self.drop = torch.nn.Dropout(0.0)

    def forward(self, x):
        return self.drop(self.bn(self.fc(x)))
"""
_PARAM_MODEL = """\
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 4)
        self.extra = torch.nn.Parameter(torch.ones(4))

    def forward(self, x):
        return self.fc(x) * self.extra
"""
_BUFFER_MODEL = """\
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 4)
        self.extra = torch.nn.Buffer(torch.zeros(4))

    def forward(self, x):
        return self.fc(x) + self.extra
"""
_TENSOR_MODEL = """\
import torch


def is_tensor(x):
    return isinstance(x, torch.Tensor)


def result_is_tensor(x):
    return isinstance(torch.sin(x), torch.Tensor)
"""
MODELS: dict[str, str] = {
    "Buffer": _BUFFER_MODEL,
    "Module": _BN_MODEL,
    "Parameter": _PARAM_MODEL,
    "Tensor": _TENSOR_MODEL,
    "eval_mode": _BN_MODEL,
    "load_state_dict": _BN_MODEL,
    "parameters": _BN_MODEL,
    "state_dict": _BN_MODEL,
    "train_mode": _BN_MODEL,
}


def _mlx_state(model: Any) -> Any:
    from mlx.utils import tree_flatten

    return list(tree_flatten(model.parameters()))


# How a framework's load_state_dict mapping is given a state: the state of a model, in the
# form the framework's loader takes (an API applied to the model, or a function).
STATE_OF: dict[str, str | Callable[[Any], Any]] = {
    "flax_nnx": "flax.nnx.state",
    "mlx": _mlx_state,
    "torch": "torch.nn.Module.state_dict",
}


class Mismatch(AssertionError):
    """The converted program disagrees with torch's: the message says how."""


@dataclass
class Subject:
    """One framework's converted program for an op: its source, module and (for models)
    the built model with the reference's weights."""

    framework: str
    api: Any
    source: str
    module: Any
    model: Any
    x: np.ndarray


def _api(op: str, fw: str) -> Any:
    spec = load_ontology().specs.get(op)
    variant = spec.variants.get(fw) if spec else None
    if variant is None:
        raise Mismatch(f"{fw} has no {op} mapping to act with")
    return resolve(variant.api)[0]


def _leaves(tree: Any) -> Iterator[Any]:
    """The arrays of a nested state (mappings, sequences, variables with ``.value``)."""
    if hasattr(tree, "items"):
        for v in tree.values():
            yield from _leaves(v)
    elif isinstance(tree, list | tuple):
        for v in tree:
            yield from _leaves(v)
    elif hasattr(tree, "value") and not hasattr(tree, "shape"):
        yield from _leaves(tree.value)
    else:
        yield tree


def _float_arrays(fw: str, tree: Any) -> list[np.ndarray]:
    out = []
    for leaf in _leaves(tree):
        try:
            a = np.asarray(adapters.to_numpy(fw, leaf))
        except Exception:  # noqa: BLE001, S112 - not an array (an RNG key, a count): not state
            continue
        if a.dtype.kind == "f":
            out.append(a)
    return out


def _same_arrays(got: list[np.ndarray], expected: list[np.ndarray], what: str) -> None:
    """Equal as multisets of arrays, each compared by its sorted values (layouts differ)."""
    if len(got) != len(expected):
        shapes = sorted(a.shape for a in got), sorted(a.shape for a in expected)
        raise Mismatch(
            f"{what}: {len(got)} arrays {shapes[0]}, torch has {len(expected)} {shapes[1]}"
        )
    left = [np.sort(a.ravel()) for a in got]
    for e in expected:
        key = np.sort(e.ravel())
        hit = next(
            (
                i
                for i, g in enumerate(left)
                if g.shape == key.shape and np.allclose(g, key, rtol=1e-5, atol=1e-5)
            ),
            None,
        )
        if hit is None:
            raise Mismatch(
                f"{what}: no array of the converted model equals torch's {e.ravel()[:6]} ..."
            )
        left.pop(hit)


def _outputs_equal(spec: OpSpec, got: Any, expected: Any, what: str) -> float:
    outcome = compare(spec.model_copy(update={"nondeterministic": False}), expected, got)
    if not outcome.ok:
        raise Mismatch(f"{what}: {outcome.why}")
    return outcome.max_abs_err


def _call(subject: Subject) -> Any:
    return lm.run(subject.model, subject.framework, [subject.x])


# -- the checks: (spec, subject, reference subject) -> max abs error ---------------------
def _modes(spec: OpSpec, s: Subject, r: Subject) -> float:
    outs = []
    for sub in (s, r):
        # The op under test acts through its own (possibly fixture) mapping, its partner
        # through the ontology's.
        apis = {
            op: sub.api if op == spec.operation else _api(op, sub.framework)
            for op in ("train_mode", "eval_mode")
        }
        apis["train_mode"](sub.model)
        train = _call(sub)
        apis["eval_mode"](sub.model)
        outs.append((train, _call(sub), _call(sub)))
    (train, ev, again), (rtrain, rev, _) = outs
    if spec.operation == "train_mode":
        return _outputs_equal(spec, train, rtrain, "training-mode output (batch statistics)")
    _outputs_equal(spec, again, ev, "two inference-mode calls differ")
    return _outputs_equal(spec, ev, rev, "inference-mode output (running statistics)")


def _parameters(spec: OpSpec, s: Subject, r: Subject) -> float:
    got = _float_arrays(s.framework, s.api(s.model))
    _same_arrays(got, _float_arrays(REFERENCE, list(r.api(r.model))), "parameters")
    return 0.0


def _state_dict(spec: OpSpec, s: Subject, r: Subject) -> float:
    got = _float_arrays(s.framework, s.api(s.model))
    _same_arrays(got, _float_arrays(REFERENCE, r.api(r.model)), "state")
    return 0.0


def _load_state_dict(spec: OpSpec, s: Subject, r: Subject) -> float:
    how = STATE_OF.get(s.framework)
    if how is None:
        raise Mismatch(f"no way to take a state for {s.framework}'s loader (STATE_OF)")
    take = resolve(how)[0] if isinstance(how, str) else how
    fresh = lm.build(lm.load_source(s.source), s.framework, [s.x])
    s.api(fresh, take(s.model))
    return _outputs_equal(spec, lm.run(fresh, s.framework, [s.x]), _call(r), "loaded model")


def _module(spec: OpSpec, s: Subject, r: Subject) -> float:
    if not issubclass(s.module.Net, s.api):
        raise Mismatch(f"the converted Net derives from {s.module.Net.__mro__[1:]}, not {s.api}")
    return _outputs_equal(spec, _call(s), _call(r), "output")


def _member(trainable: bool) -> Callable[[OpSpec, Subject, Subject], float]:
    def check(spec: OpSpec, s: Subject, r: Subject) -> float:
        member = s.model.extra
        if not isinstance(member, s.api):
            raise Mismatch(f"the converted attribute is a {type(member).__name__}, not {s.api}")
        flag = getattr(member, "trainable", trainable)  # variables that carry the flag
        if flag is not trainable:
            raise Mismatch(f"the converted attribute has trainable={flag}")
        if spec.variants[s.framework].compose is not None:
            _same_trainable_count(s, r)  # a plain array: the module's trainable state says
        return _outputs_equal(spec, _call(s), _call(r), "output")

    return check


def _same_trainable_count(s: Subject, r: Subject) -> None:
    """The converted model has as many trainable arrays as torch's (a plain array attribute
    is trainable or not by its module: MLX's ``freeze``); nothing to count where the
    framework maps no ``parameters`` (NumPy does not train)."""
    spec = load_ontology().specs.get("parameters")
    if spec is None or s.framework not in spec.variants:
        return
    got = _float_arrays(s.framework, _api("parameters", s.framework)(s.model))
    expected = _float_arrays(REFERENCE, list(_api("parameters", REFERENCE)(r.model)))
    if len(got) != len(expected):
        raise Mismatch(f"{len(got)} trainable arrays, torch has {len(expected)}")


def _mapped_class(spec: OpSpec, fw: str) -> Any:
    """The class a converted attribute is an instance of: the mapping's API, or the
    framework's array type where the mapping writes the value itself (``compose: data``)."""
    variant = spec.variants[fw]
    if variant.compose is not None:
        return _api("Tensor", fw)
    return resolve(variant.api)[0]


def _tensor(spec: OpSpec, s: Subject, r: Subject) -> float:
    x = lm.native(s.framework, [s.x])[0]
    got = (s.module.is_tensor(x), s.module.result_is_tensor(x), s.module.is_tensor([1.0]))
    if got != (True, True, False):
        raise Mismatch(
            f"isinstance(array, op result, list) gives {got}, expected (True, True, False)"
        )
    return 0.0


CHECKS: dict[str, Callable[[OpSpec, Subject, Subject], float]] = {
    "Buffer": _member(trainable=False),
    "Module": _module,
    "Parameter": _member(trainable=True),
    "Tensor": _tensor,
    "eval_mode": _modes,
    "load_state_dict": _load_state_dict,
    "parameters": _parameters,
    "state_dict": _state_dict,
    "train_mode": _modes,
}


def _subject(spec: OpSpec, fw: str, source: str, seed: int, ref: Subject | None) -> Subject:
    from switcheroo.weights import transfer

    code = source if fw == REFERENCE else lm.convert(spec, source, REFERENCE, fw)
    module = lm.load_source(code, "structure")
    x = (np.random.default_rng(seed).integers(-16, 17, size=(3, 3)) / 8).astype(np.float32)
    model = None
    if hasattr(module, lm.CLASS):
        model = lm.build(module, fw, [x])
        if ref is None:
            lm.set_weights(model, fw, lm.draw_weights(model, fw, seed))
        else:
            transfer(ref.model, model, src=REFERENCE, dst=fw)
    return Subject(fw, _mapped_class(spec, fw), code, module, model, x)


def _verdict(spec: OpSpec, fw: str, source: str) -> PairResult:
    check = CHECKS[spec.operation]
    worst, code = 0.0, source
    for seed in SEEDS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = _subject(spec, REFERENCE, source, seed, None)
                sub = _subject(spec, fw, source, seed, ref)
                code = sub.source
                worst = max(worst, check(spec, sub, ref))
        except lm.ConversionError as e:
            return PairResult("failed", f"vs {REFERENCE}: {e}", math.inf, 0, REFERENCE, source)
        except Mismatch as e:
            return PairResult(
                "failed",
                f"vs {REFERENCE}: {e}",
                math.inf,
                seed,
                REFERENCE,
                _snippet(spec, fw, code, seed),
            )
        except Exception as e:  # noqa: BLE001 - any framework error is this mapping's failure
            why = f"vs {REFERENCE}: raised {_error_text(e)}"
            return PairResult(
                "failed", why, math.inf, seed, REFERENCE, _snippet(spec, fw, code, seed)
            )
    return PairResult("verified", "", worst, len(SEEDS), REFERENCE)


def _snippet(spec: OpSpec, fw: str, code: str, seed: int) -> str:
    return (
        f"# swc verify counterexample for {spec.operation!r} [{fw}]: the converted program\n"
        f"# below, weights transferred from torch (seed {seed}), acted on by "
        f"{spec.variants[fw].api or spec.variants[fw].compose}\n{code}"
    )


def verify_structure(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """Every runnable framework's verdict for one method or base class (module docstring)."""
    kind = spec.kind.value
    source = MODELS.get(spec.operation)
    if source is None:
        return {
            fw: PairResult("skipped", f"kind {kind}: no model to act on for {spec.operation}")
            for fw in runnable
        }
    others = [fw for fw in runnable if fw != REFERENCE]
    if REFERENCE not in runnable or not others:
        why = f"kind {kind}: no installed mapping to compare with {REFERENCE}'s"
        return {fw: PairResult("skipped", why) for fw in runnable}
    out = {fw: _verdict(spec, fw, source) for fw in others}
    agreed = [fw for fw in others if out[fw].status == "verified"]
    if agreed:
        out[REFERENCE] = PairResult(
            "verified", f"reference; agrees with {', '.join(agreed)}", 0.0, len(SEEDS)
        )
    else:
        out[REFERENCE] = PairResult(
            "failed", "reference; no other mapping agrees with it", math.inf
        )
    return out
