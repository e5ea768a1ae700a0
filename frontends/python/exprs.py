"""Expressions: LibCST expression nodes -> ``pysrc``/``fw`` ops appended to a block.

Framework names are resolved through the module's imports (``names.ScopeScan``), so ``nn.Linear`` under ``from torch import nn`` is ``torch.nn.Linear``. A small
type inference marks tensors and layers so that ``x.sum(dim=1)`` on a tensor becomes a
framework method call, while ``cfg.sum(...)`` on anything else stays plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from xdsl.dialects.builtin import StringAttr, UnitAttr
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue

from switcheroo.dialects import fw, pysrc
from switcheroo.dialects.pysrc import string, strs
from switcheroo.frontends.python.names import NameScope, ScopeScan, lookup, qualified_names
from switcheroo.frontends.python.public_names import public_name
from switcheroo.frontends.python.source_map import SourceMap

OBJ = pysrc.ObjectType()
TENSOR = pysrc.TensorType()
LAYER = pysrc.LayerType()

_BINOPS: dict[type[cst.CSTNode], str] = {
    cst.Add: "+", cst.Subtract: "-", cst.Multiply: "*", cst.Divide: "/",
    cst.FloorDivide: "//", cst.Modulo: "%", cst.Power: "**", cst.MatrixMultiply: "@",
    cst.LeftShift: "<<", cst.RightShift: ">>", cst.BitAnd: "&", cst.BitOr: "|",
    cst.BitXor: "^", cst.And: "and", cst.Or: "or", cst.LessThan: "<",
    cst.GreaterThan: ">", cst.LessThanEqual: "<=", cst.GreaterThanEqual: ">=",
    cst.Equal: "==", cst.NotEqual: "!=", cst.In: "in", cst.NotIn: "not in",
    cst.Is: "is", cst.IsNot: "is not",
}
_UNARY: dict[type[cst.CSTNode], str] = {
    cst.Minus: "-", cst.Plus: "+", cst.Not: "not", cst.BitInvert: "~",
}


def _bound_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _bound_names(e.value)]
    return []


@dataclass
class Scope:
    """What the type inference knows inside one function: name -> value type."""

    names: dict[str, Attribute] = field(default_factory=dict)
    self_attrs: dict[str, Attribute] = field(default_factory=dict)
    # Names bound to a tuple or list of tensors (``parts = jnp.split(x, 2)``): their items
    # (``parts[0]``, ``for p in parts``) are tensors.
    seqs: set[str] = field(default_factory=set)


# Return types (as the ODL writes them) of ops giving a tuple or list of tensors.
_CONSTANTS = frozenset({cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString})
_TENSOR_SEQS = ("tuple[Tensor", "Tuple[Tensor", "list[Tensor]", "List[Tensor]")


class ExprLowering:
    """Lowers one expression at a time into ``block`` (set by the statement lowering)."""

    # What the lowering reads about the module, each computed once before it starts.
    METADATA_DEPENDENCIES = (ScopeScan, SourceMap)

    def __init__(self, module: cst.Module, metadata: dict, prefixes: dict[str, str], framework: str):
        self.module = module
        self.names: ScopeScan = metadata[ScopeScan]
        self.source: SourceMap = metadata[SourceMap]
        self.name_scope: NameScope = self.names.global_scope  # where names are looked up
        self.at: float = 0  # the ordinal of the statement being lowered, in name_scope
        self.prefixes = prefixes  # module prefix -> framework key
        self._framework_of: dict[str, str | None] = {}
        self.framework = framework
        from switcheroo.ontology.loader import load_ontology

        onto = load_ontology()
        owners = [framework, *(onto.traits[framework].fallback if framework in onto.traits else [])]
        self.tensor_properties = onto.property_names(owners)  # x.T, x.mT
        self.block = Block()
        self.scope = Scope()
        self.own: dict[str, str] = {}  # module-level scaffolds -> their framework (own_scaffolds.py)
        self.tensor_seqs: set[SSAValue] = set()  # values known to be tuples/lists of tensors

    # -- helpers ---------------------------------------------------------------------
    def add(self, op: Operation) -> SSAValue:
        self.block.add_op(op)
        return op.results[0]

    def code(self, node: cst.CSTNode) -> str:
        return self.source.code(node)

    def loc(self, node: cst.CSTNode) -> StringAttr:
        return string(self.source.start(node) or "1:1")

    def framework_of(self, qname: str) -> str | None:
        if qname in self._framework_of:
            return self._framework_of[qname]
        best = None
        for prefix, fwk in self.prefixes.items():
            if (qname == prefix or qname.startswith(prefix + ".")) and (
                best is None or len(prefix) > len(best[0])
            ):
                best = (prefix, fwk)
        self._framework_of[qname] = found = best[1] if best else None
        return found

    def resolve(self, node: cst.CSTNode) -> tuple[str, str] | None:
        """(framework, qualified api) when the node names a framework object."""
        if type(node) is not cst.Name and type(node) is not cst.Attribute:  # as names.dotted
            return None
        if type(node) is cst.Name and node.value in self.own:
            found = lookup(self.name_scope, node.value, self.name_scope)
            if found is not None and found[0] is self.names.global_scope:
                return self.own[node.value], node.value  # ``Linear``: a scaffold is its variant's api
        for q in qualified_names(node, self.name_scope, self.at):  # None unless plain dotted names
            fwk = self.framework_of(q)
            if fwk is not None:
                public = public_name(fwk, q)
                # tf.keras.layers.Dense is keras.layers.Dense: the public name's framework
                return (self.framework_of(public) or fwk) if public != q else fwk, public
        return None

    def opaque(self, node: cst.CSTNode) -> SSAValue:
        return self.add(
            pysrc.OpaqueExprOp.create(properties={"code": string(self.code(node))}, result_types=[OBJ])
        )

    def type_of(self, v: SSAValue) -> Attribute:
        return v.type

    # -- expressions -----------------------------------------------------------------
    def lower(self, node: cst.BaseExpression) -> SSAValue:
        stripped = bool(node.lpar) and type(node) is not cst.Tuple and type(node) is not cst.GeneratorExp
        if stripped:
            node = node.with_changes(lpar=[], rpar=[])
        # A parenthesized name was never looked up (the copy without parentheses is not in
        # the module); kept so the output stays as it was.
        hit = None if stripped else self.resolve(node)
        if hit is not None:
            return self.add(fw.RefOp.create(
                properties={"framework": string(hit[0]), "api": string(hit[1]),
                            "loc": self.loc(node)},
                result_types=[OBJ],
            ))
        kind = type(node)  # the frequent kinds by their class: a class pattern is an ABC check
        if kind is cst.Name:
            v = node.value
            if v in ("True", "False", "None"):
                return self.const(v)
            t = self.scope.names.get(v, OBJ)
            val = self.add(pysrc.NameOp.create(properties={"id": string(v)}, result_types=[t]))
            if v in self.scope.seqs:
                self.tensor_seqs.add(val)
            return val
        if kind in _CONSTANTS:
            return self.const(self.code(node))
        if kind is cst.Call:
            return self.call(node)
        match node:
            case cst.Ellipsis():
                return self.const("...")
            case cst.Attribute(value=obj, attr=cst.Name(value=a)):
                base = self.lower(obj)
                t = OBJ
                if isinstance(obj, cst.Name) and obj.value == "self":
                    t = self.scope.self_attrs.get(a, OBJ)
                elif base.type == TENSOR and a in self.tensor_properties:
                    t = TENSOR  # w.T, x.mT: raised to the op they compute (raise_properties.py)
                return self.add(pysrc.AttrOp.create(
                    operands=[base], properties={"attr": string(a)}, result_types=[t]))
            case cst.Call():
                return self.call(node)
            case cst.BinaryOperation(left=l, operator=op, right=r) if type(op) in _BINOPS:
                return self.binop(_BINOPS[type(op)], l, r)
            case cst.BooleanOperation(left=l, operator=op, right=r):
                return self.binop(_BINOPS[type(op)], l, r)
            case cst.Comparison(left=l, comparisons=[cst.ComparisonTarget(operator=op, comparator=r)]):
                return self.binop(_BINOPS[type(op)], l, r)
            case cst.UnaryOperation(operator=op, expression=e):
                v = self.lower(e)
                return self.add(pysrc.UnaryOp.create(
                    operands=[v], properties={"operator": string(_UNARY[type(op)])},
                    result_types=[v.type if v.type == TENSOR else OBJ]))
            case cst.Subscript(value=base, slice=elems):
                return self.subscript(base, elems)
            case cst.Tuple(elements=elts) | cst.List(elements=elts) | cst.Set(elements=elts) if all(
                isinstance(e, cst.Element) for e in elts
            ):
                kind = {cst.Tuple: "tuple", cst.List: "list", cst.Set: "set"}[type(node)]
                vals = [self.lower(e.value) for e in elts]
                props: dict[str, Attribute] = {"kind": string(kind)}
                if isinstance(node, cst.Tuple) and not node.lpar:
                    props["bare"] = UnitAttr()  # ``return x, h``: printed back the same way
                return self.add(pysrc.TupleOp.create(operands=vals, properties=props, result_types=[OBJ]))
            case cst.Dict(elements=elts) if all(isinstance(e, cst.DictElement) for e in elts):
                vals = [v for e in elts for v in (self.lower(e.key), self.lower(e.value))]
                return self.add(pysrc.TupleOp.create(
                    operands=vals, properties={"kind": string("dict")}, result_types=[OBJ]))
            case cst.ListComp(elt=elt, for_in=cst.CompFor(asynchronous=None, ifs=[], inner_for_in=None) as comp) \
                    | cst.GeneratorExp(elt=elt, for_in=cst.CompFor(asynchronous=None, ifs=[], inner_for_in=None) as comp):
                return self.comprehension(node, elt, comp)
        return self.opaque(node)

    def comprehension(self, node: cst.BaseExpression, elt: cst.BaseExpression, comp: cst.CompFor) -> SSAValue:
        """One ``for`` clause, no filters: the element expression becomes a region."""
        it = self.lower(comp.iter)
        outer, saved = self.block, dict(self.scope.names)
        outer_names, outer_at = self.name_scope, self.at
        self.block = Block()
        self.name_scope, self.at = NameScope(outer_names), 0
        saved_seqs = set(self.scope.seqs)
        for name in _bound_names(comp.target):
            self.scope.names.pop(name, None)
            self.scope.seqs.discard(name)
            self.name_scope.bind(name, -1)  # the target shadows imports inside the comprehension
        if it in self.tensor_seqs and isinstance(comp.target, cst.Name):
            self.scope.names[comp.target.value] = TENSOR  # [p.sum() for p in parts]
        value = self.lower(elt)
        self.block.add_op(pysrc.YieldOp.create(operands=[value]))
        body, self.block = self.block, outer
        self.scope.names, self.scope.seqs = saved, saved_seqs
        self.name_scope, self.at = outer_names, outer_at
        kind = "list" if isinstance(node, cst.ListComp) else "gen"
        return self.add(pysrc.CompOp.create(
            operands=[it], properties={"target": string(self.code(comp.target)), "kind": string(kind)},
            regions=[Region(body)], result_types=[OBJ]))

    def const(self, code: str) -> SSAValue:
        return self.add(pysrc.ConstOp.create(properties={"code": string(code)}, result_types=[OBJ]))

    def binop(self, operator: str, l: cst.BaseExpression, r: cst.BaseExpression) -> SSAValue:
        lv, rv = self.lower(l), self.lower(r)
        tensor = TENSOR in (lv.type, rv.type) and operator not in ("and", "or", "is", "is not", "in", "not in")
        return self.add(pysrc.BinOp.create(
            operands=[lv, rv], properties={"operator": string(operator)},
            result_types=[TENSOR if tensor else OBJ]))

    def subscript(self, base: cst.BaseExpression, elems: list[cst.SubscriptElement]) -> SSAValue:
        bv = self.lower(base)
        idx = [self.index(e.slice) for e in elems]
        if len(idx) == 1 and not elems[0].comma:
            iv = idx[0]
        else:
            iv = self.add(pysrc.TupleOp.create(
                operands=idx, properties={"kind": string("tuple")}, result_types=[OBJ]))
        # An item of a tuple/list of tensors is a tensor, a slice of it such a sequence.
        item = bv in self.tensor_seqs and len(idx) == 1 and not isinstance(elems[0].slice, cst.Slice)
        val = self.add(pysrc.SubscriptOp.create(
            operands=[bv, iv], result_types=[TENSOR if bv.type == TENSOR or item else OBJ]))
        if bv in self.tensor_seqs and not item:
            self.tensor_seqs.add(val)
        return val

    def index(self, s: cst.BaseSlice) -> SSAValue:
        if isinstance(s, cst.Index):
            return self.lower(s.value)
        assert isinstance(s, cst.Slice)
        parts = [s.lower, s.upper, s.step]
        vals = [self.lower(p) for p in parts if p is not None]
        mask = "".join("0" if p is None else "1" for p in parts)
        return self.add(pysrc.SliceOp.create(
            operands=vals, properties={"parts": string(mask)}, result_types=[OBJ]))

    def call_args(self, args: list[cst.Arg]) -> tuple[list[SSAValue], list[str]]:
        vals, names = [], []
        for a in args:
            vals.append(self.lower(a.value))
            names.append(a.keyword.value if a.keyword else (a.star or ""))
        return vals, names

    def call(self, node: cst.Call) -> SSAValue:
        hit = self.resolve(node.func)
        if hit is not None:
            vals, names = self.call_args(list(node.args))
            val = self.add(fw.CallOp.create(
                operands=vals,
                properties={"framework": string(hit[0]), "api": string(hit[1]),
                            "arg_names": strs(names), "loc": self.loc(node)},
                result_types=[self.result_kind(hit[0], hit[1])]))
            if self.returns_tensors(hit[0], hit[1]):
                self.tensor_seqs.add(val)
            return val
        func = node.func
        if isinstance(func, cst.Attribute):
            recv = self.lower(func.value)
            if recv.type == TENSOR:
                vals, names = self.call_args(list(node.args))
                method = func.attr.value
                return self.add(fw.CallOp.create(
                    operands=[recv, *vals],
                    properties={"framework": string(self.framework),
                                "api": string(f"{self.framework}.Tensor.{method}"),
                                "method": string(method), "arg_names": strs(["", *names]),
                                "loc": self.loc(node)},
                    result_types=[TENSOR]))
            callee = self.add(pysrc.AttrOp.create(
                operands=[recv], properties={"attr": string(func.attr.value)},
                result_types=[self.scope.self_attrs.get(func.attr.value, OBJ)
                              if isinstance(func.value, cst.Name) and func.value.value == "self" else OBJ]))
        else:
            callee = self.lower(func)
        vals, names = self.call_args(list(node.args))
        # Calling a layer, or a module's own method on tensors, gives a tensor.
        out = TENSOR if callee.type == LAYER or any(v.type == TENSOR for v in vals) else OBJ
        return self.add(pysrc.CallOp.create(
            operands=[callee, *vals], properties={"arg_names": strs(names)}, result_types=[out]))

    def returns_tensors(self, framework: str, api: str) -> bool:
        """Whether the API gives a tuple or list of tensors (``jnp.split``, ``torch.chunk``)."""
        from switcheroo.ontology.loader import load_ontology

        hit = load_ontology().lookup_api(framework, api)
        return hit is not None and hit[0].kind.value == "function" and hit[0].return_type.startswith(_TENSOR_SEQS)

    def result_kind(self, framework: str, api: str) -> Attribute:
        from switcheroo.ontology.loader import load_ontology

        onto = load_ontology()
        hit = onto.lookup_api(framework, api)
        if hit is None:
            return OBJ
        spec = hit[0]
        if spec.kind.value == "layer":
            return LAYER
        # A function returning a tensor, or a tensor class (nn.Parameter, nn.Buffer).
        tensor = spec.return_type.startswith("Tensor") and spec.kind.value in ("function", "base_class")
        return TENSOR if tensor else OBJ
