"""Lowering of composed variants (ODL ``compose``): the hub op becomes the IR of an
expression over its arguments, ``fw.call``/``fw.ref`` for framework and standard-library
APIs and ``pysrc`` ops for operators, attributes, subscripts, displays and comprehensions,
which the Python backend prints as it prints any other expression.
"""

from __future__ import annotations

import ast
import math
from collections import Counter

from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Block, Operation, Region, SSAValue

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology import compose
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.passes.fw_common import _NO_VALUE, OBJ, chain, const_value, make_const


class ComposeRefusal(Exception):
    """The expression cannot be written for this use; the source call is kept, marked."""


def _names(spec: OpSpec, framework: str) -> compose.Names:
    onto = load_ontology()
    prefixes = [p for f in chain(framework, onto) if f in onto.traits for p in onto.traits[f].source_prefixes]
    return compose.names_for(spec.arg_names, prefixes)


def build_composed(spec: OpSpec, variant: Variant, framework: str, named: dict[str, list[SSAValue]],
                   src: hub.HubOp) -> tuple[list[Operation], SSAValue]:
    """Ops computing the variant's ``compose`` expression from the hub op's arguments; the
    last value is the result."""
    assert variant.compose is not None
    tree = compose.parse(variant.compose)
    names = _names(spec, framework)
    uses = Counter(n.id for n, bound in compose.walk_names(tree) if n.id in names.args and n.id not in bound)
    ops: list[Operation] = []
    args: dict[str, SSAValue] = {}
    for arg in spec.std_args:
        vs = named.get(arg.name)
        if vs is None and not arg.has_default and not uses[arg.name]:
            continue  # permute_dims without axes, said by a rule that reads x only
        if vs is None:
            if not arg.has_default:
                raise ComposeRefusal(f"{spec.operation}: argument {arg.name!r} not given")
            made = make_const(arg.default)
            ops.extend(made)
            args[arg.name] = made[-1].results[0]
        elif arg.is_variadic and len(vs) == 1 and isinstance(vs[0].owner, pysrc.StarOp) and uses[arg.name] == 1:
            args[arg.name] = vs[0].owner.value  # f(*xs) -> xs itself, read once (it may be an iterator)
        elif arg.is_variadic:
            # compose sees *arrays as one list: [f(a) for a in arrays]
            lst = pysrc.TupleOp.create(operands=vs, properties={"kind": StringAttr("list")}, result_types=[OBJ])
            ops.append(lst)
            args[arg.name] = lst.results[0]
        else:
            args[arg.name] = vs[0]
        if uses[arg.name] > 1 and not _plain(args[arg.name]):
            # The expression would be printed twice, and evaluated twice.
            raise ComposeRefusal(f"{arg.name!r} is used {uses[arg.name]} times in the composed "
                                 f"{framework} spelling; give it a name first")
    # Comprehension targets must not capture a name the arguments' expressions read.
    taken = {n for v in args.values() for n in _names_read(v)}
    builder = _Builder(framework, names, args, taken)
    value = builder.build(tree, frozenset(), ops)
    return ops, value


def _plain(v: SSAValue) -> bool:
    """Whether the expression of ``v`` may be printed twice: names, literals and reads
    (subscripts, slices, attributes, displays) of those."""
    op = v.owner
    if isinstance(op, pysrc.NameOp | pysrc.ConstOp) or const_value(v) is not _NO_VALUE:
        return True
    if isinstance(op, pysrc.SubscriptOp | pysrc.SliceOp | pysrc.AttrOp | pysrc.TupleOp):
        return all(_plain(o) for o in op.operands)
    return False


def _names_read(v: SSAValue) -> set[str]:
    op = v.owner
    if not isinstance(op, Operation):
        return set()
    out = {op.id.data} if isinstance(op, pysrc.NameOp) else set()
    for o in op.operands:
        out |= _names_read(o)
    return out


_FOLDABLE = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}


def _fold(operator: str, lhs: SSAValue, rhs: SSAValue) -> pysrc.ConstOp | None:
    """``0.1 * 0.5`` -> ``0.05``: the composed arithmetic on two number literals, evaluated
    as Python would at run time, when the literal it gives is no longer than the sum (the
    arithmetic is the ontology's, never the user's). The operands' ops stay for other uses."""
    a, b = const_value(lhs), const_value(rhs)
    if operator not in _FOLDABLE or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)):
        return None
    value = _FOLDABLE[operator](a, b)
    code = repr(value)
    if not math.isfinite(value) or len(code) > len(f"{a!r} {operator} {b!r}"):
        return None
    return pysrc.ConstOp.create(properties={"code": StringAttr(code)}, result_types=[OBJ])


class _Builder:
    def __init__(self, framework: str, names: compose.Names, args: dict[str, SSAValue], taken: set[str]) -> None:
        self.framework = framework
        self.names = names
        self.args = args
        self.taken = taken
        self.renamed: dict[str, str] = {}  # comprehension target -> the name written

    def _add(self, ops: list[Operation], op: Operation) -> SSAValue:
        ops.append(op)
        return op.results[0]

    def _api(self, path: str) -> bool:
        return "." in path and self.names.is_api_root(path.split(".")[0])

    def build(self, node: ast.expr, bound: frozenset[str], ops: list[Operation]) -> SSAValue:
        """Ops for ``node`` appended to ``ops``; its value."""
        path = compose.dotted(node)
        if path is not None and path.split(".")[0] not in bound and self._api(path):
            return self._add(ops, fw.RefOp.create(
                properties={"framework": StringAttr(self.framework), "api": StringAttr(path)}, result_types=[OBJ]))
        match node:
            case ast.Name(id=name) if name in self.args and name not in bound:
                return self.args[name]
            case ast.Name(id=name):  # a comprehension target or a builtin
                name = self.renamed.get(name, name) if name in bound else name
                return self._add(ops, pysrc.NameOp.create(properties={"id": StringAttr(name)}, result_types=[OBJ]))
            case ast.Constant(value=value):
                return self._add(ops, pysrc.ConstOp.create(properties={"code": StringAttr(repr(value))},
                                                           result_types=[OBJ]))
            case ast.Attribute(value=obj, attr=attr):
                base = self.build(obj, bound, ops)
                return self._add(ops, pysrc.AttrOp.create(operands=[base], properties={"attr": StringAttr(attr)},
                                                          result_types=[OBJ]))
            case ast.UnaryOp(op=op, operand=operand):
                inner = self.build(operand, bound, ops)
                return self._add(ops, pysrc.UnaryOp.create(
                    operands=[inner], properties={"operator": StringAttr(compose._UNARY[type(op)])},
                    result_types=[OBJ]))
            case ast.BinOp(left=left, op=op, right=right):
                lhs, rhs = self.build(left, bound, ops), self.build(right, bound, ops)
                if (folded := _fold(compose._BINARY[type(op)], lhs, rhs)) is not None:
                    return self._add(ops, folded)
                return self._add(ops, pysrc.BinOp.create(
                    operands=[lhs, rhs], properties={"operator": StringAttr(compose._BINARY[type(op)])},
                    result_types=[OBJ]))
            case ast.Subscript(value=value, slice=index):
                base, idx = self.build(value, bound, ops), self.build(index, bound, ops)
                return self._add(ops, pysrc.SubscriptOp.create(operands=[base, idx], result_types=[OBJ]))
            case ast.Tuple(elts=elts) | ast.List(elts=elts):
                kind = "tuple" if isinstance(node, ast.Tuple) else "list"
                vals = [self.build(e, bound, ops) for e in elts]
                return self._add(ops, pysrc.TupleOp.create(operands=vals, properties={"kind": StringAttr(kind)},
                                                           result_types=[OBJ]))
            case ast.Call(func=func, args=pos, keywords=kws):
                return self._call(func, pos, kws, bound, ops)
            case ast.ListComp(elt=elt, generators=[gen]):
                assert isinstance(gen.target, ast.Name)  # compose.parse checked
                it = self.build(gen.iter, bound, ops)
                target = gen.target.id
                while target in self.taken:
                    target += "_"
                self.taken.add(target)
                self.renamed[gen.target.id] = target
                body: list[Operation] = []
                value = self.build(elt, bound | {gen.target.id}, body)
                body.append(pysrc.YieldOp.create(operands=[value]))
                return self._add(ops, pysrc.CompOp.create(
                    operands=[it], properties={"target": StringAttr(target), "kind": StringAttr("list")},
                    regions=[Region(Block(body))], result_types=[OBJ]))
        raise ComposeRefusal(f"cannot build {ast.unparse(node)!r}")  # compose.parse rejects the rest

    def _call(self, func: ast.expr, pos: list[ast.expr], kws: list[ast.keyword], bound: frozenset[str],
              ops: list[Operation]) -> SSAValue:
        operands: list[SSAValue] = []
        arg_names: list[str] = []
        for a in pos:
            star = isinstance(a, ast.Starred)
            operands.append(self.build(a.value if isinstance(a, ast.Starred) else a, bound, ops))
            arg_names.append("*" if star else "")
        for k in kws:
            operands.append(self.build(k.value, bound, ops))
            arg_names.append(k.arg or "**")
        names_attr = ArrayAttr([StringAttr(n) for n in arg_names])
        path = compose.dotted(func)
        if path is not None and path.split(".")[0] not in bound and self._api(path) and "*" not in arg_names:
            return self._add(ops, fw.CallOp.create(
                operands=operands,
                properties={"framework": StringAttr(self.framework), "api": StringAttr(path), "arg_names": names_attr},
                result_types=[OBJ]))
        callee = self.build(func, bound, ops)
        return self._add(ops, pysrc.CallOp.create(operands=[callee, *operands], properties={"arg_names": names_attr},
                                                  result_types=[OBJ]))
