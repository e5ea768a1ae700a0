"""A raised SASS kernel (``sass-raise-idioms`` output) as a framework expression.

One dispatch over the raised func's ops: ``sass.grid_extent`` -> the launch's thread
count along x, ``arith.minsi/maxsi`` -> ``min``/``max``, ``sass.prefix`` -> ``a[:m]``,
hub ops -> the framework's API from the ontology (``+ - * /`` for the arithmetic ones),
``sass.assign_prefix`` -> the in-place write (jax: ``.at[:m].set``), ``sass.widen`` -> a
float64 copy, ``sass.accumulate`` -> ``out[0] += v``, ``arith.minui`` -> ``min`` of unsigned words, ``sass.block_count`` -> ``gridDim``,
``sass.view``/``sass.assign_view`` -> a reshaped prefix cut to its counts (and its write,
under ``if`` every count is positive, with the values only it uses). A hub op's optional
arguments (``axis``, ``keepdims``) are passed by the framework's keyword (ontology).
The function keeps the SIMT
emulation (``_<name>_simt``) for launches the idiom's proof does not cover (the raised
func's ``sass.launch``, default 1-D, and ``sass.blocks``, the block sizes proven;
``frameworks.LAUNCH_FALLBACK``).
"""

from __future__ import annotations

from switcheroo.backends.sass.frameworks import (
    ALIASES,
    FRAMEWORK_IO,
    HUB_CALLS,
    INFIX,
    LAUNCH_FALLBACK,
    RAISED,
)
from switcheroo.dialects import hub
from switcheroo.dialects.sass.raised import (
    AccumulateOp,
    AssignPrefixOp,
    AssignViewOp,
    BlockCountOp,
    GridExtentOp,
    PrefixOp,
    ViewOp,
    WidenOp,
)
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import Float32Type, i1


def _variant(spec: str, framework: str):
    from switcheroo.ontology.loader import load_ontology
    from switcheroo.passes.fw_common import target_variant

    found = target_variant(load_ontology().specs[spec], framework)
    if found is None:
        raise NotImplementedError(f"hub.{spec} has no {framework} API in the ontology")
    return found[1]


def _api(spec: str, framework: str) -> str:
    api = _variant(spec, framework).api
    for long, short in ALIASES.items():
        if api.startswith(long):
            return short + api[len(long):]
    return api


def _call(op, args: list[str], framework: str) -> str:
    """A hub op as its API call: required arguments by position, optional ones (``axis``,
    ``keepdims``) by the framework's keyword (the ontology's argument map)."""
    spec = op.spec
    names = _variant(op.SPEC_NAME, framework).args
    out = []
    for name, a in zip((n.data for n in op.arg_names.data), args):
        std = spec.arg(name)
        out.append(f"{names.get(name, name)}={a}" if std is not None and std.has_default else a)
    return f"{_api(op.SPEC_NAME, framework)}({', '.join(out)})"


def raised_body(fn: func.FuncOp, names: list[str], framework: str) -> list[str]:
    """Statements computing the raised kernel; ``names`` are the parameters' names."""
    env = {arg: nm for arg, nm in zip(fn.body.block.args, names)}
    fmt = RAISED[framework]
    scalars = {arg for arg in fn.body.block.args if isinstance(arg.type, Float32Type)}
    lines: list[str] = []
    pending: list[str] = []  # hub values only a guarded view write uses (see below)
    counted = 0  # element counts are named m, m1, m2, ...

    def val(v) -> str:
        return fmt["scalar"].format(env[v]) if v in scalars else env[v]

    def shaped(op) -> dict:
        dims = [env[d] for d in op.shape]
        cut = [f":{env[c]}" for c in op.counts]
        lead = []  # a written value's extra leading dimensions have size 1: take index 0
        if isinstance(op, AssignViewOp):
            lead = ["0"] * (len(op.value.type.get_shape()) - len(cut))
        return {"array": env[op.array], "size": " * ".join(dims), "shape": ", ".join(dims),
                "cut": ", ".join(cut), "vcut": ", ".join([*lead, *cut])}

    for k, op in enumerate(fn.body.block.ops):
        out = f"t{k}"
        match op:
            case GridExtentOp():
                e = f"_g[{'xyz'.index(op.dim.data)}] * _b[{'xyz'.index(op.dim.data)}]"
            case BlockCountOp():
                e = f"_g[{'xyz'.index(op.dim.data)}]"
            case arith.ConstantOp() if isinstance(op.result.type, Float32Type):
                e = fmt["scalar"].format(repr(float(op.value.value.data)))
            case arith.ConstantOp() if op.result.type == i1:
                env[op.result] = str(bool(op.value.value.data))
                continue
            case arith.ConstantOp():
                env[op.result] = str(op.value.value.data)  # an integer reads best inline
                continue
            case arith.MinSIOp() | arith.MaxSIOp():
                f = "min" if isinstance(op, arith.MinSIOp) else "max"
                e = f"{f}(_i32({env[op.lhs]}), _i32({env[op.rhs]}))"
            case arith.MinUIOp():
                e = f"min(_u32({env[op.lhs]}), _u32({env[op.rhs]}))"
            case arith.MuliOp() | arith.SubiOp():
                e = f"({env[op.lhs]} {'*' if isinstance(op, arith.MuliOp) else '-'} {env[op.rhs]})"
            case ViewOp():
                e = fmt["view"].format(**shaped(op))
            case PrefixOp():
                e = f"{env[op.array]}[:{env[op.count]}]"
            case hub.HubOp():
                args = [val(a) for a in op.args]
                spec = op.SPEC_NAME
                if spec in INFIX and len(args) == 2:
                    e = f"({args[0]} {INFIX[spec]} {args[1]})"
                elif spec in HUB_CALLS.get(framework, {}):
                    e = HUB_CALLS[framework][spec].format(*args)
                else:
                    e = _call(op, args, framework)
            case WidenOp():
                e = fmt["widen"].format(env[op.array])
            case AssignPrefixOp():
                lines.append(fmt["assign"].format(env[op.array], env[op.count], env[op.value]))
                continue
            case AccumulateOp():
                lines.append(fmt["accumulate"].format(env[op.array], env[op.value]))
                continue
            case AssignViewOp():
                nonempty = " and ".join(f"{env[c]} > 0" for c in op.counts)
                write = fmt["assign_view"].format(value=env[op.value], **shaped(op))
                lines.append(f"if {nonempty}:  # no output element is covered otherwise")
                lines.extend(f"    {ln}" for ln in [*pending, write])
                pending.clear()
                continue
            case func.ReturnOp():
                continue
            case _:
                raise NotImplementedError(f"raised sass: no rendering for {op.name}")
        res = op.results[0]
        counts = (arith.MaxSIOp, arith.MinUIOp)
        if isinstance(op, counts):
            out = f"m{counted or ''}"  # an element count the prefixes and writes use
            counted += 1
        if res.has_one_use() and not isinstance(op, (*counts, ViewOp)):
            env[res] = e  # used once: inline, so the output reads as one expression
            continue
        env[res] = out
        # a value that feeds a view write is computed under the write's guard (a
        # reduction over an empty row has no identity)
        guarded = isinstance(op, hub.HubOp) and any(isinstance(u, AssignViewOp) for u in _users(op))
        (pending if guarded else lines).append(f"{out} = {e}")
    return [*lines, *pending]


def _users(op):
    """``op`` and the ops that use its results, transitively."""
    seen, todo = [], [op]
    while todo:
        x = todo.pop()
        if x not in seen:
            seen.append(x)
            todo.extend(u.operation for r in x.results for u in r.uses)
    return seen


def emit_raised(fn: func.FuncOp, names: list[str], outs: list[str], framework: str) -> list[str]:
    """The framework function of a raised kernel (the emulation is ``_<name>_simt``)."""
    io = FRAMEWORK_IO[framework]
    name = fn.sym_name.data
    args = ", ".join(names)
    launch = fn.attributes["sass.launch"].data if "sass.launch" in fn.attributes else "1d"
    blocks = tuple(b.value.data for b in fn.attributes["sass.blocks"].data) if (
        "sass.blocks" in fn.attributes) else ()  # fmt: skip
    body = [f'"""Decompiled from SASS ({fn.attributes["sass.arch"].data}): '
            f'{fn.attributes["sass.idiom"].data} idiom, proven by sass-raise-idioms."""',
            "_g, _b = _dims(grid), _dims(block)",
            *([] if LAUNCH_FALLBACK[launch] is None else [
                f"if {LAUNCH_FALLBACK[launch].format(blocks=blocks)}:  # launches outside the proof",
                f"    return _{name}_simt({args}, grid=grid, block=block)"]),
            *raised_body(fn, names, framework)]  # fmt: skip
    if io["returns"]:
        body.append(f"return ({''.join(o + ', ' for o in outs)})")
    return [f"def {name}({args}, *, grid, block):", *(f"    {ln}" for ln in body)]
