"""Verify ops that take functions (vmap, grad, cond, while_loop, scan, apply_along_axis, ...).

A generic function proves nothing about such an op, but a small set of pure functions that
every framework runs does: each case below draws its tensors (multiples of 1/8 in [-2, 2],
so the few products and sums stay exact in float32) and picks functions from a fixed set
written with Python operators only (``x * x + x``, ``r @ r``), which torch, JAX, MLX,
TensorFlow and Keras tensors all overload, or named through the ontology (``mask_indices``
takes the framework's own ``triu``/``tril`` mapping). Closures (``cond``'s zero-argument
branches) capture the framework's own copy of their tensor.

Each framework's call is the one a conversion writes (``calls.build_plan``); an op whose
result is itself a function (``grad``, ``vmap``, ``value_and_grad``) is then called on the
case's call tensors. Results are compared with the first framework in ODL order (NumPy
first) that the most others agree with, at the spec's tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from switcheroo.ontology.odl import FRAMEWORK_KEYS, OpSpec
from switcheroo.ontology.verify import adapters
from switcheroo.ontology.verify.calls import NotApplicable, build_plan, execute, literal, resolve
from switcheroo.ontology.verify.check import PairResult
from switcheroo.ontology.verify.compare import compare


@dataclass(frozen=True)
class Fn:
    """A pure function as drawn: its source (for reports) and, per framework, the Python
    callable. ``closure`` is a tensor the body reads, given as the framework's native copy;
    ``onto`` names an ontology op whose framework API is the function."""

    src: str
    body: Callable[..., Any] | None = None
    closure: np.ndarray | None = None
    onto: str | None = None

    def native(self, fw: str) -> Callable[..., Any]:
        if self.onto is not None:
            return _ontology_api(self.onto, fw)
        assert self.body is not None
        if self.closure is None:
            return self.body
        captured = _to_native(fw, self.closure)
        return lambda *a: self.body(captured, *a)  # type: ignore[misc]


@dataclass
class Drawn:
    """One example: the op's standard arguments, and the tensors its returned function is
    called with (empty where the op returns a value)."""

    args: dict[str, Any]
    call: list[np.ndarray] = field(default_factory=list)


@cache
def _ontology_api(op: str, fw: str) -> Callable[..., Any]:
    from switcheroo.ontology.loader import load_ontology

    variant = load_ontology().specs[op].variants[fw]
    return resolve((variant.lower or variant).api)[0]


def _to_native(fw: str, value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return adapters.ADAPTERS[fw].to_native(adapters.load(fw), np.array(value, copy=True))
    if isinstance(value, Fn):
        return value.native(fw)
    if isinstance(value, tuple):
        return tuple(_to_native(fw, v) for v in value)
    if isinstance(value, list) and all(isinstance(v, Fn) for v in value):
        return tuple(v.native(fw) for v in value)  # a sequence of functions, passed as one value
    if isinstance(value, list):
        return [_to_native(fw, v) for v in value]
    return value


def _arr(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float32, shape, elements=st.integers(-16, 16).map(lambda k: k / 8))


_dims = st.integers(1, 4)

# Unary functions of a whole tensor (elementwise) and of a 1-D row (a dot product).
ELEMENTWISE = (
    Fn("lambda x: x * x + x", lambda x: x * x + x),
    Fn("lambda x: 0.5 * x - 1.0", lambda x: 0.5 * x - 1.0),
)
ROW_DOT = Fn("lambda r: r @ r", lambda r: r @ r)
SCALAR_OF_ROW = (ROW_DOT, Fn("lambda r: (r * r) @ r", lambda r: (r * r) @ r))
BINARY = (Fn("lambda a, b: a + b", lambda a, b: a + b), Fn("lambda a, b: a * b", lambda a, b: a * b))


@st.composite
def _over_rows(draw: Any, fn_name: str, data_name: str, fns: tuple[Fn, ...]) -> Drawn:
    """``fn(row)`` over the rows of a [B, n] tensor (vmap, map_fn)."""
    x = draw(_arr((draw(_dims), draw(_dims))))
    return Drawn({fn_name: draw(st.sampled_from(fns)), data_name: x})


@st.composite
def _gradient(draw: Any, _: OpSpec) -> Drawn:
    x = draw(_arr((draw(_dims),)))
    return Drawn({"fun": draw(st.sampled_from(SCALAR_OF_ROW))}, [x])


@st.composite
def _vmap(draw: Any, _: OpSpec) -> Drawn:
    x = draw(_arr((draw(_dims), draw(_dims))))
    return Drawn({"fun": draw(st.sampled_from((*ELEMENTWISE, ROW_DOT)))}, [x])


@st.composite
def _vectorize(draw: Any, _: OpSpec) -> Drawn:
    """A scalar function lifted to arrays, called on a [B, n] tensor."""
    x = draw(_arr((draw(_dims), draw(_dims))))
    return Drawn({"pyfunc": draw(st.sampled_from(ELEMENTWISE))}, [x])


@st.composite
def _cond(draw: Any, _: OpSpec) -> Drawn:
    x = draw(_arr((draw(_dims),)))
    branches = {
        "true_fn": Fn("lambda: x * 2.0", lambda c: c * 2.0, x),
        "false_fn": Fn("lambda: x - 1.0", lambda c: c - 1.0, x),
    }
    return Drawn({"pred": draw(st.booleans()), **branches})


@st.composite
def _if(draw: Any, _: OpSpec) -> Drawn:
    """ONNX If: a 0-d boolean condition; the branches are graphs without inputs that read
    a tensor of the enclosing scope (zero-argument closures here)."""
    x = draw(_arr((draw(_dims),)))
    branches = {
        "then_branch": Fn("lambda: x * 2.0", lambda c: c * 2.0, x),
        "else_branch": Fn("lambda: x - 1.0", lambda c: c - 1.0, x),
    }
    return Drawn({"cond": np.array(draw(st.booleans())), **branches})


@st.composite
def _switch(draw: Any, _: OpSpec) -> Drawn:
    x = draw(_arr((draw(_dims),)))
    branches = [ELEMENTWISE[0], ELEMENTWISE[1], Fn("lambda x: x * 2.0", lambda v: v * 2.0)]
    # Out-of-range indices too: the spec says the index is clamped to the branches.
    return Drawn({"index": draw(st.integers(-1, 3)), "branches": branches, "operands": [x]})


@st.composite
def _while_loop(draw: Any, _: OpSpec) -> Drawn:
    n = draw(st.integers(0, 3))
    x = draw(_arr((draw(_dims),)))
    cond = Fn(f"lambda i, v: i < {n}", lambda i, v: i < n)
    body = Fn("lambda i, v: (i + 1, v * 0.5 + 1.0)", lambda i, v: (i + 1, v * 0.5 + 1.0))
    return Drawn({"cond": cond, "body": body, "loop_vars": (np.array(0, np.int32), x)})


@st.composite
def _fori_loop(draw: Any, _: OpSpec) -> Drawn:
    body = Fn("lambda i, v: v * 0.5 + 1.0", lambda i, v: v * 0.5 + 1.0)
    x = draw(_arr((draw(_dims),)))
    lower = draw(st.integers(0, 2))
    return Drawn({"lower": lower, "upper": lower + draw(st.integers(0, 3)), "body_fun": body, "init_val": x})


@st.composite
def _scan_loop(draw: Any, _: OpSpec) -> Drawn:
    n = draw(_dims)
    f = Fn("lambda c, x: (c + x, c * x)", lambda c, x: (c + x, c * x))
    out = {"f": f, "init": draw(_arr((n,))), "xs": draw(_arr((draw(_dims), n)))}
    if draw(st.booleans()):
        out["reverse"] = draw(st.booleans())
    return Drawn(out)


@st.composite
def _associative_scan(draw: Any, _: OpSpec) -> Drawn:
    elems = draw(_arr((draw(_dims), draw(_dims))))
    out = {"f": draw(st.sampled_from(BINARY)), "elems": elems}
    if draw(st.booleans()):
        out["reverse"] = draw(st.booleans())
    if draw(st.booleans()):
        out["axis"] = draw(st.integers(0, 1))
    return Drawn(out)


@st.composite
def _checkpoint(draw: Any, _: OpSpec) -> Drawn:
    # use_reentrant said as False (torch's advice; the other mappings' default): it only
    # chooses how torch recomputes, never the value.
    x = draw(_arr((draw(_dims), draw(_dims))))
    return Drawn({"fun": draw(st.sampled_from(ELEMENTWISE)), "args": [x], "use_reentrant": False})


@st.composite
def _apply_along_axis(draw: Any, _: OpSpec) -> Drawn:
    arr = draw(_arr(tuple(draw(_dims) for _ in range(draw(st.integers(1, 3))))))
    fn = draw(st.sampled_from((*ELEMENTWISE, ROW_DOT)))
    return Drawn({"func1d": fn, "axis": draw(st.integers(-arr.ndim, arr.ndim - 1)), "arr": arr})


@st.composite
def _mask_indices(draw: Any, _: OpSpec) -> Drawn:
    op = draw(st.sampled_from(("triu", "tril")))
    out = {"n": draw(_dims), "mask_func": Fn(f"<{op} through the ontology>", onto=op)}
    if draw(st.booleans()):
        out["k"] = draw(st.integers(-1, 1))
    return Drawn(out)


# op -> a strategy drawing one example (sorted by op).
CASES: dict[str, Callable[[OpSpec], st.SearchStrategy[Drawn]]] = {
    "apply_along_axis": _apply_along_axis,
    "associative_scan": _associative_scan,
    "checkpoint": _checkpoint,
    "cond": _cond,
    "fori_loop": _fori_loop,
    "grad": _gradient,
    "if": _if,
    "map_fn": lambda _: _over_rows("f", "xs", ELEMENTWISE),
    "mask_indices": _mask_indices,
    "scan_loop": _scan_loop,
    "switch": _switch,
    "value_and_grad": _gradient,
    "vectorize": _vectorize,
    "vmap": _vmap,
    "while_loop": _while_loop,
}


def _if_defined(drawn: Drawn) -> np.ndarray:
    branch = drawn.args["then_branch" if bool(drawn.args["cond"]) else "else_branch"]
    return branch.body(branch.closure)


# op -> the op's definition applied to an example in NumPy: where every mapping of an op
# comes from one source (ONNX If), agreeing with each other is no evidence, so each is
# compared with this instead.
DEFINITIONS: dict[str, Callable[[Drawn], Any]] = {"if": _if_defined}
DEFINITION = "definition"
# Ops whose result is a function, called on the example's call tensors.
RETURNS_FUNCTION = frozenset({"grad", "value_and_grad", "vectorize", "vmap"})


def run(spec: OpSpec, fw: str, drawn: Drawn) -> Any:
    """``fw``'s result on ``drawn``, as NumPy (NotApplicable where a conversion would keep
    the call)."""
    natives = {k: _to_native(fw, v) for k, v in drawn.args.items()}
    plan = build_plan(spec, fw, spec.variants[fw], natives)
    if spec.operation not in RETURNS_FUNCTION:
        return execute(plan, natives)
    fn = resolve(plan.api)[0](*plan.args, **plan.kwargs)
    return adapters.to_numpy(fw, fn(*(_to_native(fw, a) for a in drawn.call)))


def _source(drawn: Drawn) -> str:
    def text(v: Any) -> str:
        if isinstance(v, Fn):
            return v.src
        if isinstance(v, list | tuple):
            inner = ", ".join(text(i) for i in v)
            return f"[{inner}]" if isinstance(v, list) else f"({inner},)"
        return literal(v)

    closures = {f"x = {literal(v.closure)}" for v in drawn.args.values() if isinstance(v, Fn) and v.closure is not None}
    lines = [*sorted(closures), *(f"{k} = {text(v)}" for k, v in drawn.args.items())]
    lines += [f"# the returned function called with {literal(a)}" for a in drawn.call]
    return "\n".join(lines) + "\n"


def _examples(spec: OpSpec, count: int) -> list[Drawn]:
    out: list[Drawn] = []

    @settings(max_examples=count, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=(Phase.generate,))
    @given(CASES[spec.operation](spec))
    def collect(drawn: Drawn) -> None:
        out.append(drawn)

    collect()
    return out


def verify_callable(spec: OpSpec, runnable: list[str], max_examples: int) -> dict[str, PairResult]:
    """Every runnable framework's verdict for an op that takes functions."""
    if spec.operation not in CASES:
        why = "no case of pure functions for this op in verify/callables.py"
        return {fw: PairResult("skipped", why) for fw in runnable}
    defined = DEFINITIONS.get(spec.operation)
    if len(runnable) < 2 and defined is None:
        return {fw: PairResult("skipped", "no second installed mapping to compare with") for fw in runnable}
    examples = _examples(spec, min(max_examples, 12))
    results: dict[str, list[Any]] = {}
    for fw in runnable:
        outs: list[Any] = []
        for drawn in examples:
            try:
                outs.append(run(spec, fw, drawn))
            except NotApplicable as e:
                outs.append(e)
            except Exception as e:  # noqa: BLE001 - a framework error is this mapping's failure
                outs.append(RuntimeError(f"raised {type(e).__name__}: {str(e).strip()[:200]}"))
            adapters.after_op([fw])
        results[fw] = outs
    if defined is not None:
        results[DEFINITION] = [defined(drawn) for drawn in examples]
        verdicts = _verdicts(spec, DEFINITION, [*runnable, DEFINITION], examples, results)
        verdicts.pop(DEFINITION)
        for verdict in verdicts.values():
            if verdict.status == "verified":
                verdict.reason = "agrees with the op's definition in verify/callables.py"
        return verdicts
    order = ["numpy", *FRAMEWORK_KEYS]
    best: dict[str, PairResult] | None = None
    for ref in sorted(runnable, key=order.index):
        verdicts = _verdicts(spec, ref, runnable, examples, results)
        if best is None or _agreeing(verdicts) > _agreeing(best):
            best = verdicts
    assert best is not None
    return best


def _agreeing(verdicts: dict[str, PairResult]) -> int:
    """How many agree; -1 where the reference accepted no example (nothing was compared)."""
    if all(r.status == "skipped" for r in verdicts.values()):
        return -1
    return sum(r.status == "verified" for r in verdicts.values())


def _verdicts(spec: OpSpec, ref: str, runnable: list[str], examples: list[Drawn],
              results: dict[str, list[Any]]) -> dict[str, PairResult]:
    valid = [i for i, r in enumerate(results[ref]) if not isinstance(r, Exception)]
    if not valid:
        why = f"no drawn input accepted by reference {ref}: {results[ref][0]}"
        return {fw: PairResult("skipped", why, reference=ref) for fw in runnable}
    out: dict[str, PairResult] = {}
    for fw in (f for f in runnable if f != ref):
        ran, worst, failure = 0, 0.0, None
        for i in valid:
            got = results[fw][i]
            if isinstance(got, NotApplicable):
                continue
            if isinstance(got, Exception):
                failure = (i, str(got))
                break
            outcome = compare(spec, results[ref][i], got)
            if not outcome.ok:
                failure = (i, outcome.why)
                break
            ran, worst = ran + 1, max(worst, outcome.max_abs_err)
        if failure is not None:
            i, why = failure
            out[fw] = PairResult("failed", f"vs {ref}: {why}", math.inf, ran, ref, _source(examples[i]))
        elif ran == 0:
            out[fw] = PairResult("skipped", "no drawn example the conversion applies to", reference=ref)
        else:
            out[fw] = PairResult("verified", "", worst, ran, ref)
    agreed = [fw for fw, r in out.items() if r.status == "verified"]
    if agreed:
        out[ref] = PairResult("verified", f"reference; agrees with {', '.join(agreed)}",
                              max(out[fw].max_abs_err for fw in agreed), len(valid))
    else:
        out[ref] = PairResult("failed", "reference; no other mapping agrees with it", math.inf)
    return out
