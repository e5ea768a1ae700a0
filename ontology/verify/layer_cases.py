"""Examples for the layer and loss verifier: constructor arguments and call inputs.

Drawn by hypothesis from a spec's ``std_args``, narrowed and completed by
``layer_inputs.yaml`` (see its header): a :class:`Case` holds one example's argument
values, the reference model's source and the call's tensors, and can be rebuilt with other
argument values (a value the target cannot express replaced by the target's own).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from hypothesis import strategies as st
from switcheroo.ontology.odl import OpSpec, StdArg
from switcheroo.ontology.verify import layer_models as lm
from switcheroo.ontology.verify.strategies import inputs_for

TABLE = Path(__file__).with_name("layer_inputs.yaml")


@cache
def table() -> dict[str, Any]:
    """``layer_inputs.yaml``, parsed once."""
    return yaml.safe_load(TABLE.read_text()) or {}


@dataclass
class Case:
    """One drawn example: its standard argument values, the reference model's source (all
    results, or only ``use``), the call's inputs and a seed for the weights; ``make``
    rebuilds it from other values."""

    values: dict[str, Any]
    make: Callable[[dict[str, Any]], Case]
    source: Callable[[tuple[str, ...] | None], str]
    inputs: dict[str, np.ndarray]
    seed: int

    def expressible(self, spec: OpSpec, fw: str, error: lm.ConversionError) -> Case | None:
        """The case with the argument the converter could not express for ``fw`` set to
        what ``fw`` does without it (its declared default, else the spec's): evidence on
        the rest of the layer. None when the diagnostic names no argument of the case."""
        name = error.argument
        arg = spec.arg(name) if name else None
        if arg is None or name not in self.values or not arg.has_default:
            return None
        values = dict(self.values)
        variant = spec.variants[fw]
        if name in variant.defaults:
            values[name] = variant.defaults[name]
        else:
            del values[name]
        return self.make(values)


def _alternatives(arg: StdArg) -> list[str]:
    return [t.strip().split("[")[0] for t in arg.type.split("|")]


def _arg_strategy(arg: StdArg, narrow: dict[str, Any]) -> st.SearchStrategy[Any] | str:
    """How to draw one constructor argument, or why it cannot be drawn."""
    if "values" in narrow:
        return st.sampled_from(narrow["values"])
    if arg.options:
        return st.sampled_from(arg.options)
    kinds = _alternatives(arg)
    nullable = "None" in kinds
    lo = narrow.get("min", arg.min)
    hi = narrow.get("max", arg.max)
    if kinds[0] == "bool":
        base: st.SearchStrategy[Any] = st.booleans()
    elif kinds[0] == "int":
        ilo, ihi = table()["defaults"]["int"]
        base = st.integers(
            int(ilo if lo is None else max(lo, ilo if arg.min is None else lo)),
            int(ihi if hi is None else hi),
        )
    elif kinds[0] == "float":
        pool = [
            v
            for v in table()["defaults"]["float"]
            if (lo is None or v >= lo) and (hi is None or v <= hi)
        ]
        if not pool:
            return f"no float value for {arg.name} in [{lo}, {hi}]"
        base = st.sampled_from(pool)
    else:
        return f"{arg.name}: {arg.type} is not drawn"
    return st.one_of(st.none(), base) if nullable else base


@st.composite
def _constructor(draw: Any, spec: OpSpec, narrowed: dict[str, Any]) -> dict[str, Any]:
    ctor: dict[str, Any] = {}
    for arg in spec.std_args:
        how = _arg_strategy(arg, narrowed.get(arg.name) or {})
        if isinstance(how, str) or (arg.has_default and draw(st.booleans())):
            continue  # left out: every framework's default is compared (or not drawable)
        ctor[arg.name] = draw(how)
    return ctor


def undrawable(spec: OpSpec, entry: dict[str, Any]) -> str | None:
    if "unsupported" in entry:
        return str(entry["unsupported"])
    if not entry.get("inputs"):
        return f"no call inputs for {spec.operation} in {TABLE.name}"
    for arg in spec.std_args:
        how = _arg_strategy(arg, (entry.get("args") or {}).get(arg.name) or {})
        if isinstance(how, str) and not arg.has_default:
            return how
    return None


def _value(spec: OpSpec, ctor: dict[str, Any], sizes: dict[str, int], sym: Any) -> int:
    if isinstance(sym, int) or str(sym).isdigit():
        return int(sym)
    if sym in ctor:
        return int(ctor[sym])
    arg = spec.arg(sym)
    if arg is not None and arg.has_default:
        return int(arg.default)
    return sizes[sym]


def _shape(
    spec: OpSpec, ctor: dict[str, Any], sizes: dict[str, int], inp: dict[str, Any]
) -> list[Any]:
    for flag, shape in (inp.get("shape_if") or {}).items():
        if ctor.get(flag, _default(spec, flag)):
            return shape
    return inp["shape"]


def _default(spec: OpSpec, name: str) -> Any:
    arg = spec.arg(name)
    return arg.default if arg is not None and arg.has_default else None


def _symbols(entry: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for inp in entry["inputs"]:
        shapes = [inp["shape"], *(inp.get("shape_if") or {}).values()]
        for sym in [*(s for shape in shapes for s in shape), inp.get("max")]:
            if isinstance(sym, str) and not sym.isdigit() and sym not in out:
                out.append(sym)
    return out


def _inputs(
    spec: OpSpec, entry: dict[str, Any], ctor: dict[str, Any], sizes: dict[str, int], seed: int
) -> dict[str, np.ndarray]:
    """The call's tensors: floats multiples of 1/8 in [min, max], integer ids in [min, max)."""
    rng = np.random.default_rng(seed)
    lo_default, hi_default = table()["defaults"]["input"]
    out: dict[str, np.ndarray] = {}
    for inp in entry["inputs"]:
        shape = tuple(_value(spec, ctor, sizes, s) for s in _shape(spec, ctor, sizes, inp))
        dtype = inp.get("dtype", "float32")
        if "values" in inp:
            out[inp["name"]] = rng.choice(np.array(inp["values"], dtype=dtype), size=shape)
        elif dtype.startswith("int"):
            hi = inp.get("max", 4)
            hi = hi if isinstance(hi, int) else _value(spec, ctor, sizes, hi)
            out[inp["name"]] = rng.integers(inp.get("min", 0), hi, size=shape).astype(dtype)
        else:
            lo, hi = inp.get("min", lo_default), inp.get("max", hi_default)
            k = rng.integers(math.ceil(lo * 8), math.floor(hi * 8) + 1, size=shape)
            out[inp["name"]] = (k / 8).astype(dtype)
    return out


@st.composite
def layer_case(draw: Any, spec: OpSpec, entry: dict[str, Any], ref: str) -> Case:
    ctor = draw(_constructor(spec, entry.get("args") or {}))
    ranges = {**table()["defaults"]["sizes"], **(entry.get("sizes") or {})}
    sizes = {
        s: draw(st.integers(*ranges[s]))
        for s in _symbols(entry)
        if s in ranges and spec.arg(s) is None
    }
    seed = draw(st.integers(0, 2**16))
    call = lm.LayerCall(
        tuple(i["name"] for i in entry["inputs"]), spec.call.returns if spec.call else None,
        entry.get("call"),
    )

    def make(values: dict[str, Any]) -> Case:
        return Case(
            values,
            make,
            lambda use: lm.model_source(spec, ref, values, call, use),
            _inputs(spec, entry, values, sizes, seed),
            seed,
        )

    return make(ctor)


@st.composite
def loss_case(draw: Any, spec: OpSpec, ref: str, omit: tuple[str, ...]) -> Case:
    example = {k: v for k, v in draw(inputs_for(spec)).items() if k not in omit}

    def make(values: dict[str, Any]) -> Case:
        inputs = {n: v for n, v in values.items() if isinstance(v, np.ndarray)}
        return Case(values, make, lambda use: lm.function_source(spec, ref, values), inputs, 0)

    return make(example)
