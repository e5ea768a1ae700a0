"""Layer constructors that are more than one call with renamed arguments.

- ``cell``: the target scans a cell over the sequence (``nnx.RNN(nnx.LSTMCell(...))``).
  The cell is built by the cell spec's own variant from the standard arguments the two
  specs share; the rest go to the wrapping layer. Raising goes back: the wrapper's first
  argument, a raised cell, gives its arguments to the sequence layer.
- ``derived_args``: a target argument computed from standard ones (Keras attention
  ``key_dim: embed_dim // num_heads``), written as a Python expression in the data
  (``expression`` builds it; ``build-deferred-layers`` builds ``build_shape`` the same way).
  Raising inverts one binary operation when the source wrote the expression itself
  (``key_dim=dim // heads`` with ``heads`` the ``num_heads``: ``embed_dim=dim``; ``underive``).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

from switcheroo.dialects import hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.passes import layer_scaffold
from switcheroo.passes.fw_common import OBJ, const_value, is_const, make_const, target_variant

if TYPE_CHECKING:
    from switcheroo.dialects.fw import CallOp

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Div: "/"}


class BuildRefusal(Exception):
    """The target cannot build this layer from these arguments; the source is kept."""


def build_cell(variant: Variant, framework: str, named: dict[str, list[SSAValue]], src: hub.HubOp
               ) -> tuple[list[Operation], SSAValue, dict[str, list[SSAValue]]]:
    """Ops building the cell, the cell value, and the arguments left for the wrapper."""
    from switcheroo.dialects import fw
    from switcheroo.passes.lower_hub_to_fw import build_call

    assert variant.cell is not None
    cell_spec = load_ontology().specs[variant.cell]
    found = target_variant(cell_spec, framework)
    if found is None:
        raise BuildRefusal(f"no {framework} mapping for the cell {variant.cell!r}")
    cell_fw, cell_variant = found
    shared = {n: vs for n, vs in named.items() if cell_spec.arg(n) is not None}
    ops, operands, names, api = build_call(cell_spec, cell_variant, cell_fw, shared, src)
    cell = fw.CallOp.create(
        operands=operands,
        properties={"framework": StringAttr(cell_fw), "api": StringAttr(api), "arg_names": pysrc.strs(names)},
        result_types=[OBJ])
    built = layer_scaffold.as_local_class(cell_variant, cell, src)  # GRUCell(...) defined in the output
    rest = {n: vs for n, vs in named.items() if n not in shared}
    return [*ops, *built], built[-1].results[0], rest


def raise_cell(spec: OpSpec, variant: Variant, call: CallOp) -> tuple[list[str], list[SSAValue]]:
    """``nnx.RNN(<raised LSTMCell>, ...)``: the cell's standard arguments, for the
    sequence spec (raises ValueError when the first argument is not that cell)."""
    first = call.args[0] if call.args and call.arg_names.data[0].data == "" else None
    owner = first.owner if first is not None else None
    if not (isinstance(owner, hub.HubOp) and owner.SPEC_NAME == variant.cell):
        raise ValueError(f"{call.api.data}: its cell is not a {variant.cell}")
    names = [n.data for n in owner.arg_names.data]
    if any(spec.arg(n) is None for n in names):
        raise ValueError(f"{call.api.data}: the {variant.cell} takes arguments {spec.operation} lacks")
    return names, list(owner.args)


def derived_reads(variant: Variant) -> set[str]:
    """The standard arguments ``derived_args`` read: dropping them loses nothing."""
    return {n.id for expr in variant.derived_args.values() for n in ast.walk(ast.parse(expr, mode="eval"))
            if isinstance(n, ast.Name)}


def derived_args(variant: Variant, values: dict[str, SSAValue], spec: OpSpec
                 ) -> tuple[list[Operation], list[tuple[str, SSAValue]]]:
    """Ops computing each ``derived_args`` expression from the standard arguments."""
    new_ops: list[Operation] = []
    out: list[tuple[str, SSAValue]] = []
    for name, expr in variant.derived_args.items():
        ops, value = expression(expr, values, spec)
        new_ops += ops
        out.append((name, value))
    return new_ops, out


_SYMBOLS = {ast.FloorDiv: "//", ast.Div: "/", ast.Mult: "*", ast.Add: "+", ast.Sub: "-"}


def _same_value(a: SSAValue, b: SSAValue) -> bool:
    """The same value, the same name read twice, or equal literals."""
    if a is b:
        return True
    if isinstance(a.owner, pysrc.NameOp) and isinstance(b.owner, pysrc.NameOp):
        return a.owner.id.data == b.owner.id.data
    return is_const(a) and is_const(b) and const_value(a) == const_value(b)


def underive(expr: str, v: SSAValue, names: list[str], values: list[SSAValue]) -> tuple[str, SSAValue] | None:
    """The standard argument a derived one was computed from, where its value is the
    expression itself: ``key_dim = embed_dim // num_heads`` written ``dim // heads`` with
    ``heads`` bound to ``num_heads`` gives ``embed_dim = dim``. None otherwise."""
    tree = ast.parse(expr, mode="eval").body
    op = v.owner
    if not (isinstance(tree, ast.BinOp) and isinstance(tree.left, ast.Name) and isinstance(tree.right, ast.Name)
            and isinstance(op, pysrc.BinOp) and op.operator.data == _SYMBOLS.get(type(tree.op))):
        return None
    known = dict(zip(names, values))
    other = known.get(tree.right.id)
    if other is None or tree.left.id in known or not _same_value(other, op.rhs):
        return None
    return tree.left.id, op.lhs


def expression(expr: str, values: dict[str, SSAValue], spec: OpSpec) -> tuple[list[Operation], SSAValue]:
    """Ops computing a Python expression over standard argument names (their values, or
    their defaults), literals, arithmetic and tuples; the value it gives."""
    new_ops: list[Operation] = []

    def unit(node: ast.expr) -> bool:
        """A literal 1, or an argument left at a default of 1 (``* depth_multiplier``)."""
        if isinstance(node, ast.Name) and node.id not in values and (arg := spec.arg(node.id)) is not None:
            return arg.has_default and arg.default == 1
        return isinstance(node, ast.Constant) and node.value == 1

    def build(node: ast.expr) -> SSAValue:
        match node:
            case ast.Name(id=name) if name in values:
                return values[name]
            case ast.BinOp(left=left, op=ast.Mult(), right=right) if unit(left) or unit(right):
                return build(left if unit(right) else right)
            case ast.Name(id=name) if (arg := spec.arg(name)) is not None and arg.has_default:
                ops = make_const(arg.default)
            case ast.Constant(value=value):
                ops = make_const(value)
            case ast.BinOp(left=left, op=op, right=right) if type(op) in _OPERATORS:
                lhs, rhs = build(left), build(right)
                ops = [pysrc.BinOp.create(operands=[lhs, rhs], properties={"operator": StringAttr(_OPERATORS[type(op)])},
                                          result_types=[OBJ])]
            case ast.Tuple(elts=elts):
                parts = [build(e) for e in elts]
                ops = [pysrc.TupleOp.create(operands=parts, properties={"kind": StringAttr("tuple")},
                                            result_types=[OBJ])]
            case _:
                raise BuildRefusal(f"cannot compute {ast.unparse(node)!r} from the arguments given")
        new_ops.extend(ops)
        return ops[-1].results[0]

    value = build(ast.parse(expr, mode="eval").body)
    return new_ops, value
