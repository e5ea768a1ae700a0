"""Raising a framework's one-call compositions back to the hub op they spell.

A composed variant (``relu: {compose: 'numpy.maximum(x, 0)'}``) is how a framework with
no API for an op writes it; the code it lowers to is one hub op again once raised
(``hub.maximum(x, 0)``). When the composition is a single call whose arguments are the
spec's standard arguments and literals, a hub op raised from that API with the same
literals in those places is the composed op (``hub.relu(x)``). ``maximum(x, 0)`` is
``relu(x)`` for every ``x``, so the fold is exact; compositions of several calls are not
recognised (they stay the ops they are, which compute the same).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache

from switcheroo.dialects import hub, pysrc
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


def _match(op: hub.HubOp, call: OneCall) -> list[tuple[str, SSAValue]] | None:
    """The composed op's (std name, operand) pairs when ``op`` is ``call``, else None."""
    operands = list(op.args)
    if len(operands) != len(call.args):
        return None
    order = [a.data for a in op.arg_names.data]
    positions = [a.name for a in op.spec.std_args]
    if order != positions[:len(order)]:  # bound in the API's positional order
        return None
    bound: list[tuple[str, SSAValue]] = []
    for value, (kind, text) in zip(operands, call.args, strict=True):
        if kind == "arg":
            bound.append((text, value))
        elif not (isinstance(value.owner, pysrc.ConstOp) and value.owner.code.data == text):
            return None
    return bound


def fold_composes(module: builtin.ModuleOp, framework: str) -> None:
    """Replace each hub op that is a one-call composition of ``framework`` by its op."""
    table = _one_calls(framework)
    if not table:
        return
    for op in [o for o in module.walk() if isinstance(o, hub.HubOp) and o.src_framework is not None
               and o.src_framework.data == framework and o.src_api is not None]:
        for call in table.get(op.src_api.data, ()):
            bound = _match(op, call)
            if bound is None:
                continue
            props = {"arg_names": ArrayAttr([StringAttr(n) for n, _ in bound]),
                     "src_framework": op.src_framework, "src_api": op.src_api}
            if op.loc is not None:
                props["loc"] = op.loc
            new = hub.op_for(call.spec).create(operands=[v for _, v in bound], properties=props,
                                               result_types=[r.type for r in op.res])
            block = op.parent_block()
            assert block is not None
            block.insert_op_before(new, op)
            for old, res in zip(op.res, new.res, strict=True):
                old.replace_all_uses_with(res)
            dropped = [v.owner for v in op.args if v not in [b for _, b in bound]]
            op.detach()
            op.erase()
            for lit in dropped:
                if isinstance(lit, Operation) and not any(r.uses for r in lit.results):
                    lit.detach()
                    lit.erase()
            break
