"""Framework queries a lifted builder reads as their default values.

A Keras builder asks ``backend.image_data_format()`` to pick the channel axis
(``bn_axis = 3 if ... == "channels_last" else 1``). The lifted model is built for the
default (``functional_model.assumed_values``): the query becomes its value, an ``if`` on
a comparison of literals keeps its taken branch, and a local assigned one literal once is
replaced by the literal where it is read, so ``BatchNormalization(axis=bn_axis)`` has a
literal axis that the layer mappings can translate.
"""

from __future__ import annotations

import ast
import json
import re

from switcheroo.dialects import fw, pysrc
from switcheroo.passes.fw_common import const_value, is_const, make_const, operand_ops
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation

_COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b}


def _taken(cond: Operation) -> bool | None:
    if not isinstance(cond, pysrc.BinOp) or cond.operator.data not in _COMPARE:
        return None
    if not (is_const(cond.lhs) and is_const(cond.rhs)):
        return None
    return _COMPARE[cond.operator.data](const_value(cond.lhs), const_value(cond.rhs))


def _fold_ifs(func: pysrc.FuncOp) -> None:
    changed = True
    while changed:
        changed = False
        for op in list(func.walk()):
            if not isinstance(op, pysrc.IfOp) or (taken := _taken(op.cond.owner)) is None:
                continue
            region = op.then if taken else op.orelse
            kept = [o for b in region.blocks for o in b.ops]
            block = op.parent_block()
            assert block is not None
            for o in kept:
                o.detach()
            block.insert_ops_before(kept, op)
            for o in (op, *reversed(operand_ops(op))):
                o.detach()
                o.erase(safe_erase=False)
            changed = True
            break


def _propagate(func: pysrc.FuncOp) -> None:
    """Reads of a local assigned exactly one literal, and nothing else, become the literal."""
    assigns: dict[str, list[Operation]] = {}
    opaque = " ".join(o.code.data for o in func.walk() if isinstance(o, pysrc.OpaqueStmtOp))
    for o in func.walk():
        # Every binding counts: assignments, augmented ones, loop targets, nested functions.
        target = o.sym_name if isinstance(o, (pysrc.FuncOp, pysrc.ClassOp)) else o.properties.get("target")
        if isinstance(target, StringAttr) and o is not func:
            assigns.setdefault(target.data, []).append(o)
    params = {p.data.lstrip("*") for p in func.param_names.data}
    for name, found in assigns.items():
        if (len(found) != 1 or not isinstance(found[0], pysrc.AssignOp) or name in params
                or not name.isidentifier() or re.search(rf"\b{name}\b", opaque)
                or not is_const(found[0].value)):
            continue
        value = const_value(found[0].value)
        reads = [o for o in func.walk() if isinstance(o, pysrc.NameOp) and o.id.data == name]
        if any(isinstance(o.parent_op(), pysrc.FuncOp) and o.parent_op() is not func for o in reads):
            continue
        for read in reads:
            built = make_const(value)
            block = read.parent_block()
            assert block is not None
            block.insert_ops_before(built, read)
            read.result.replace_all_uses_with(built[-1].results[0])
            read.detach()
            read.erase()
        stmt = found[0]
        for o in (stmt, *reversed(operand_ops(stmt))):
            o.detach()
            o.erase(safe_erase=False)


def _fold_conditional(code: str, values: dict[str, str]) -> tuple[str, str] | None:
    """``1 if backend.image_data_format() == "channels_first" else -1`` (kept verbatim)
    -> the taken branch's literal text and the API asked, when the test compares an
    assumed query (no arguments, named by a suffix of the API) with a literal."""
    try:
        tree = ast.parse(code, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(tree, ast.IfExp) or not isinstance(test := tree.test, ast.Compare) \
            or len(test.ops) != 1 or type(test.ops[0]) not in (ast.Eq, ast.NotEq):
        return None
    query, other = test.left, test.comparators[0]
    if isinstance(other, ast.Call):
        query, other = other, query
    if not isinstance(query, ast.Call) or query.args or query.keywords:
        return None
    asked = ast.unparse(query.func)
    api = next((a for a in values if a == asked or a.endswith("." + asked)), None)
    try:
        literal = ast.literal_eval(other)
        branch = tree.body if (values[api] == literal) == isinstance(test.ops[0], ast.Eq) else tree.orelse
        ast.literal_eval(branch)
    except (KeyError, ValueError, TypeError, SyntaxError):
        return None
    return ast.get_source_segment(code, branch) or ast.unparse(branch), api


def assume_values(func: pysrc.FuncOp, values: dict[str, str]) -> list[str]:
    """Replace the queries ``values`` names in ``func`` by their values, fold what that
    decides; returns the comment lines that state the assumption (none if no query)."""
    used: list[str] = []
    for op in list(func.walk()):
        if isinstance(op, pysrc.OpaqueExprOp) and (folded := _fold_conditional(op.code.data, values)):
            const = pysrc.ConstOp.create(properties={"code": StringAttr(folded[0])}, result_types=[op.result.type])
            block = op.parent_block()
            assert block is not None
            block.insert_ops_before([const], op)
            op.result.replace_all_uses_with(const.result)
            op.detach()
            op.erase()
            api = folded[1]
            used.append(f'# Built for {api.rsplit(".", 1)[-1]}() == {json.dumps(values[api])}, the default.')
            continue
        if isinstance(op, fw.CallOp) and op.api.data in values and not op.args:
            const = pysrc.ConstOp.create(properties={"code": StringAttr(json.dumps(values[op.api.data]))},
                                         result_types=[op.result.type])
            block = op.parent_block()
            assert block is not None
            block.insert_ops_before([const], op)
            op.result.replace_all_uses_with(const.result)
            used.append(f'# Built for {op.api.data.rsplit(".", 1)[-1]}() == {json.dumps(values[op.api.data])}, '
                        f"the default.")
            op.detach()
            op.erase()
    if used:
        _fold_ifs(func)
        _propagate(func)
    return list(dict.fromkeys(used))
