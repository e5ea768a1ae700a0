"""A window size held by a name, spread over the spatial dimensions of a layer.

torch's ``nn.Conv2d(a, b, k)`` takes ``k`` as an int or a tuple; a target whose layers take
one entry per spatial dimension (``nnx.Conv``, ``nnx.max_pool``) reads an int as a 1-D
window. A literal is spread where it is read (``3`` -> ``(3, 3)``); a name is spread here:

- ``(k, k)`` when the name provably holds an int in its function: a parameter annotated
  ``int`` or whose default is an int literal, with every assignment to it in the function an
  int literal; or a local whose every assignment is an int literal;
- ``(k, k) if isinstance(k, int) else k`` otherwise (an int or a tuple, as the source allowed).
"""

from __future__ import annotations

import ast

from switcheroo.dialects import pysrc
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

OBJ = pysrc.ObjectType()


def _int_literal(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _param_is_int(text: str) -> bool | None:
    """``k: int``, ``k=3``, ``k: int = 3`` -> True; another parameter -> False; unreadable -> None."""
    try:
        args = ast.parse(f"def f({text}): pass").body[0].args  # type: ignore[attr-defined]
    except (SyntaxError, IndexError, AttributeError):
        return None
    arg = (args.posonlyargs + args.args + args.kwonlyargs or [None])[0]
    if arg is None:
        return False
    default = (args.defaults or args.kw_defaults or [None])[-1]
    annotated = isinstance(arg.annotation, ast.Name) and arg.annotation.id == "int"
    return annotated or _int_literal(default)


def _enclosing_function(op: Operation) -> pysrc.FuncOp | None:
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, pysrc.FuncOp):
        parent = parent.parent_op()
    return parent


def provably_int(name: str, at: Operation) -> bool:
    """Whether ``name``, read at ``at``, holds an int wherever its function sets it."""
    func = _enclosing_function(at)
    if func is None:
        return False
    sources = 0
    for text, bare in zip(func.params.data, func.param_names.data):
        if bare.data == name:
            if not _param_is_int(text.data):
                return False
            sources += 1
    for op in func.walk():
        if isinstance(op, pysrc.AugAssignOp) and op.target.data == name:
            return False
        if isinstance(op, pysrc.AssignOp) and name in op.target.data.replace(",", " ").split():
            owner = op.value.owner
            if op.target.data.strip() != name or not isinstance(owner, pysrc.ConstOp):
                return False
            try:
                if not _int_literal(ast.parse(owner.code.data, mode="eval").body):
                    return False
            except SyntaxError:
                return False
            sources += 1
    return sources > 0


def spread_name(value: SSAValue, rank: int) -> list[Operation] | None:
    """The ops spreading the name read by ``value`` over ``rank`` dimensions (the last op's
    result is the spread value); None when ``value`` is not a plain name."""
    owner = value.owner
    if not isinstance(owner, pysrc.NameOp) or not owner.id.data.isidentifier() or rank < 1:
        return None
    k = owner.id.data
    if provably_int(k, owner):
        names = [pysrc.NameOp.create(properties={"id": StringAttr(k)}, result_types=[OBJ]) for _ in range(rank)]
        tup = pysrc.TupleOp.create(operands=[n.result for n in names], properties={"kind": StringAttr("tuple")},
                                   result_types=[OBJ])
        return [*names, tup]
    spread = f"({k},)" if rank == 1 else f"({', '.join([k] * rank)})"
    code = f"{spread} if isinstance({k}, int) else {k}"
    return [pysrc.OpaqueExprOp.create(properties={"code": StringAttr(code)}, result_types=[OBJ])]
