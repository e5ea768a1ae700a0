"""Raising a framework's one-call compositions back to the hub op they spell.

A composed variant (``relu: {compose: 'numpy.maximum(x, 0)'}``) is how a framework with
no API for an op writes it. When the composition is a single call whose positional
arguments are the spec's standard arguments and literals, a call of that API with the same
literals in those places is the composed op (``np.maximum(h, 0)`` -> ``hub.relu(h)``),
raised before the call would be raised as itself. ``maximum(x, 0)`` is ``relu(x)`` for
every ``x``, so the fold is exact; compositions of several calls are not recognised (they
stay the ops they are, which compute the same).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology.compose import dotted, parse
from switcheroo.ontology.loader import load_ontology
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation, SSAValue


@dataclass(frozen=True)
class OneCall:
    """``api(a0, a1, ...)``: per position, a standard argument of ``spec`` or a literal."""

    spec: str
    api: str
    args: tuple[tuple[str, str], ...]  # ("arg", std name) or ("literal", source text)


@cache
def _one_calls(framework: str) -> dict[str, list[OneCall]]:
    """The framework's one-call compositions, keyed by the API they call."""
    out: dict[str, list[OneCall]] = {}
    for name, spec in load_ontology().specs.items():
        variant = spec.variants.get(framework)
        if variant is None or not variant.compose:
            continue
        expr = parse(variant.compose)
        std = {a.name for a in spec.std_args}
        if not isinstance(expr, ast.Call) or expr.keywords or (api := dotted(expr.func)) is None:
            continue
        args: list[tuple[str, str]] = []
        for a in expr.args:
            if isinstance(a, ast.Name) and a.id in std:
                args.append(("arg", a.id))
            elif isinstance(a, ast.Constant):
                args.append(("literal", ast.unparse(a)))
            else:
                break
        else:
            out.setdefault(api, []).append(OneCall(name, api, tuple(args)))
    return out


def _match(op: fw.CallOp, call: OneCall) -> list[tuple[str, SSAValue]] | None:
    """The composed op's (std name, operand) pairs when ``op`` is ``call``, else None."""
    if op.method is not None or any(n.data for n in op.arg_names.data) or len(op.args) != len(call.args):
        return None
    bound: list[tuple[str, SSAValue]] = []
    for value, (kind, text) in zip(op.args, call.args, strict=True):
        if kind == "arg":
            bound.append((text, value))
        elif not (isinstance(value.owner, pysrc.ConstOp) and value.owner.code.data == text):
            return None
    return bound


def fold_composes(module: builtin.ModuleOp, framework: str) -> None:
    """Replace each call that is a one-call composition of ``framework`` by its hub op."""
    table = _one_calls(framework)
    if not table:
        return
    for op in [o for o in pysrc.ops_of(module, fw.CallOp) if o.framework.data == framework
               and o.api.data in table and o.unmapped is None]:
        for call in table[op.api.data]:
            bound = _match(op, call)
            if bound is None:
                continue
            props = {"arg_names": ArrayAttr([StringAttr(n) for n, _ in bound]),
                     "src_framework": op.framework, "src_api": op.api}
            if op.loc is not None:
                props["loc"] = op.loc
            new = hub.op_for(call.spec).create(operands=[v for _, v in bound], properties=props,
                                               result_types=[op.result.type])
            block = op.parent_block()
            assert block is not None
            block.insert_op_before(new, op)
            op.result.replace_all_uses_with(new.res[0])
            dropped = [v.owner for v in op.args if v not in [b for _, b in bound]]
            op.detach()
            op.erase()
            for lit in dropped:
                if isinstance(lit, Operation) and not any(r.uses for r in lit.results):
                    lit.detach()
                    lit.erase()
            break
