"""Independent NumPy references for layers and losses that only one framework maps.

A layer mapping is verified by converting a model to another framework; where no second
framework maps the layer, the one mapping (torch's, in practice) is compared with the
layer's definition written here in a few lines of NumPy, from the torch documentation's
formula that the hub spec names. Each function takes the drawn constructor arguments (the
spec's defaults where left out) and the call's inputs in call order; weight-free layers
only, so no weights need transferring. A reference that raises (``ValueError``) marks the
example outside the layer's domain.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import given, reject
from hypothesis import strategies as st
from hypothesis.errors import FailedHealthCheck, Unsatisfiable
from switcheroo.ontology.odl import OpSpec
from switcheroo.ontology.verify.check import REJECT_LIMIT, PairResult, _error_text, _settings
from switcheroo.ontology.verify.compare import compare

F64 = np.float64


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.sum(loss)
    if reduction == "mean":
        return np.mean(loss)
    raise ValueError(f"reduction={reduction!r}")


def tanhshrink(a: dict[str, Any], x: np.ndarray) -> np.ndarray:
    return x - np.tanh(x.astype(F64))


def adaptive_avg_pool1d(a: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Bin i of n over a length L spans [floor(i L / n), ceil((i + 1) L / n))."""
    n, length = a["output_size"], x.shape[-1]
    if not isinstance(n, int) or n < 1:
        raise ValueError("output_size")
    bins = [x[..., i * length // n : math.ceil((i + 1) * length / n)].astype(F64).mean(-1) for i in range(n)]
    return np.stack(bins, axis=-1)


def local_response_norm(a: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """b_c = a_c / (k + alpha / size * sum of a_c'^2 over c' in [c - size//2, c + (size-1)//2]) ** beta."""
    size, alpha, beta, k = a["size"], a.get("alpha", 1e-4), a.get("beta", 0.75), a.get("k", 1.0)
    sq = np.square(x.astype(F64))
    pad = [(0, 0)] * x.ndim
    pad[1] = (size // 2, (size - 1) // 2)
    padded = np.pad(sq, pad)
    window = sum(padded[:, i : i + x.shape[1]] for i in range(size))
    return x / (k + alpha / size * window) ** beta


def bce_with_logits_loss(a: dict[str, Any], x: np.ndarray, t: np.ndarray) -> np.ndarray:
    x, t = x.astype(F64), t.astype(F64)
    return _reduce(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))), a.get("reduction", "mean"))


def kl_div_loss(a: dict[str, Any], x: np.ndarray, t: np.ndarray) -> np.ndarray:
    x, t = x.astype(F64), t.astype(F64)
    if a.get("log_target", False):
        loss = np.exp(t) * (t - x)
    else:
        loss = np.where(t > 0, t * (np.log(np.where(t > 0, t, 1.0)) - x), 0.0)
    reduction = a.get("reduction", "mean")
    return np.sum(loss) / x.shape[0] if reduction == "batchmean" else _reduce(loss, reduction)


def nll_loss(a: dict[str, Any], x: np.ndarray, t: np.ndarray) -> np.ndarray:
    if a.get("weight") is not None:
        raise ValueError("class weights are not in this reference")
    loss = -np.take_along_axis(x.astype(F64), t.reshape(-1, 1).astype(np.int64), axis=1)[:, 0]
    return _reduce(loss, a.get("reduction", "mean"))


def smooth_l1_loss(a: dict[str, Any], x: np.ndarray, t: np.ndarray) -> np.ndarray:
    beta, d = a.get("beta", 1.0), np.abs(x.astype(F64) - t)
    loss = d if beta == 0 else np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, a.get("reduction", "mean"))


def hinge_embedding_loss(a: dict[str, Any], x: np.ndarray, t: np.ndarray) -> np.ndarray:
    x = x.astype(F64)
    loss = np.where(t == 1, x, 0.0) + np.where(t == -1, np.maximum(0.0, a.get("margin", 1.0) - x), 0.0)
    return _reduce(loss, a.get("reduction", "mean"))


def margin_ranking_loss(a: dict[str, Any], x1: np.ndarray, x2: np.ndarray, t: np.ndarray) -> np.ndarray:
    loss = np.maximum(0.0, -t * (x1.astype(F64) - x2) + a.get("margin", 0.0))
    return _reduce(loss, a.get("reduction", "mean"))


def cosine_embedding_loss(a: dict[str, Any], x1: np.ndarray, x2: np.ndarray, t: np.ndarray) -> np.ndarray:
    x1, x2, eps = x1.astype(F64), x2.astype(F64), 1e-12  # torch's EPSILON on the squared norms
    cos = np.sum(x1 * x2, -1) / np.sqrt((np.sum(x1 * x1, -1) + eps) * (np.sum(x2 * x2, -1) + eps))
    loss = np.where(t == 1, 1.0 - cos, np.maximum(0.0, cos - a.get("margin", 0.0)))
    return _reduce(loss, a.get("reduction", "mean"))


def triplet_margin_loss(a: dict[str, Any], anchor: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    p = a.get("p", 2.0)

    def dist(u: np.ndarray, v: np.ndarray) -> np.ndarray:  # pairwise_distance, eps 1e-6
        return np.sum(np.abs(u.astype(F64) - v + 1e-6) ** p, -1) ** (1.0 / p)

    loss = np.maximum(dist(anchor, pos) - dist(anchor, neg) + a.get("margin", 1.0), 0.0)
    return _reduce(loss, a.get("reduction", "mean"))


# op -> reference (sorted by op).
LAYER_REFERENCES: dict[str, Callable[..., np.ndarray]] = {
    "AdaptiveAvgPool1d": adaptive_avg_pool1d,
    "BCEWithLogitsLoss": bce_with_logits_loss,
    "CosineEmbeddingLoss": cosine_embedding_loss,
    "HingeEmbeddingLoss": hinge_embedding_loss,
    "KLDivLoss": kl_div_loss,
    "LocalResponseNorm": local_response_norm,
    "MarginRankingLoss": margin_ranking_loss,
    "NLLLoss": nll_loss,
    "SmoothL1Loss": smooth_l1_loss,
    "Tanhshrink": tanhshrink,
    "TripletMarginLoss": triplet_margin_loss,
}


def verify_against_reference(spec: OpSpec, cases: st.SearchStrategy[Any], fw: str,
                             examples: int) -> dict[str, PairResult]:
    """``fw``'s layer, built and called as the verifier's reference model, against the
    NumPy definition on every drawn case."""
    from switcheroo.ontology.verify.layers import _build_reference

    fn = LAYER_REFERENCES[spec.operation]
    defaults = {a.name: a.default for a in spec.std_args if a.has_default}
    state = {"valid": 0, "rejected": 0, "err": 0.0, "failure": "", "ref_error": ""}

    @_settings(examples, shrink=False)
    @given(cases)
    def prop(case: Any) -> None:
        if state["failure"] or (state["valid"] == 0 and state["rejected"] >= REJECT_LIMIT):
            return
        try:
            got = _build_reference(fw, case).expected
            want = np.asarray(fn({**defaults, **case.values}, *case.inputs.values()), np.float32)
        except Exception as e:  # noqa: BLE001 - outside the layer's domain
            state["ref_error"] = _error_text(e)
            state["rejected"] += 1
            reject()
        state["valid"] += 1
        outcome = compare(spec, want, got)
        if outcome.ok:
            state["err"] = max(state["err"], outcome.max_abs_err)
        else:
            state["failure"] = f"vs the NumPy reference: {outcome.why} (arguments {case.values})"

    try:
        prop()
    except (Unsatisfiable, FailedHealthCheck):
        pass
    if state["failure"]:
        return {fw: PairResult("failed", str(state["failure"]), math.inf, int(state["valid"]))}
    if not state["valid"]:
        return {fw: PairResult("skipped", f"no drawn layer accepted: {state['ref_error']}")}
    why = "agrees with the NumPy reference in verify/layer_references.py"
    return {fw: PairResult("verified", why, float(state["err"]), int(state["valid"]))}
