"""``lower-hub-to-stablehlo``: a model's forward (hub ops in ``pysrc`` structure) ->
``func.func public @main`` in StableHLO.

The pass evaluates the model class symbolically. ``__init__`` runs at the Python level:
constants fold, ``self.X = hub.<Layer>(...)`` records a layer with its constructor
arguments (bound to the spec's standard names), instances of other classes of the same
file nest. The forward method (its name is the framework's ``forward_method`` in
``ontology/data/frameworks.yaml``) then runs on tensors: hub ops go through the rules of
:mod:`stablehlo_lowering_rules`, Python arithmetic on tensors becomes element-wise ops,
shapes are static (``x.shape`` is a tuple), ``for`` over a constant range unrolls.

The function's arguments, in order: the forward's inputs (shapes from the
``input-shapes`` option, one ``2x3x32x32`` or ``8x16xi32`` per input), then every
parameter in the source framework's own name and layout (``fc1.weight`` [out, in] for
torch, ``fc1.kernel`` [in, out] for Flax NNX; see :mod:`stablehlo_params`), in the
order the layers are assigned in ``__init__``. A file without a model class is plain
JAX code: its first public function (or the one named by ``function``) is lowered. For a torch model that order is the
``state_dict`` order, so ``main(x, *model.state_dict().values())`` is the call. This is
JAX's convention (parameters are arguments, not constants), so one module serves any
weights. Anything the pass cannot lower is an error naming the source location.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from switcheroo.diagnostics import SwcError
from switcheroo.dialects import fw, hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.passes.stablehlo_builder import ShapeError, StablehloBuilder, shape
from switcheroo.passes.stablehlo_lowering_rules import FUNCTIONS, LAYERS, index
from switcheroo.passes.stablehlo_params import ParamArg, param_args
from xdsl.context import Context
from xdsl.dialects.builtin import Float32Type, Float64Type, ModuleOp, StringAttr, TensorType, i32, i64
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass


class LoweringError(SwcError):
    """Something in the model the StableHLO lowering cannot express (one line, located)."""


@dataclass
class Layer:
    """A built hub layer: its spec, constructor arguments and parameter values."""

    spec: str
    config: dict[str, Any]
    params: dict[str, SSAValue] = field(default_factory=dict)


@dataclass
class Instance:
    """An object of a class defined in the lowered file (the model, or a block of it)."""

    cls: pysrc.ClassOp
    attrs: dict[str, Any] = field(default_factory=dict)
    owner: tuple[Instance, str] | None = None  # (parent, attribute) once assigned

    def prefix(self) -> str:
        if self.owner is None:
            return ""
        parent, attr = self.owner
        return f"{parent.prefix()}{attr}."


@dataclass(frozen=True)
class Global:
    """A name not bound in the file (``math``, ``math.sqrt``): resolved in ``PY_CALLS``."""

    path: str


# Pure-Python functions and values a forward may use on static values.
PY_CALLS: dict[str, Callable[..., Any]] = {
    "abs": abs, "float": float, "int": int, "len": len, "max": max, "min": min,
    "range": range, "tuple": tuple, "math.sqrt": math.sqrt, "math.prod": math.prod,
    "math.exp": math.exp, "math.log": math.log,
}
PY_VALUES: dict[str, Any] = {"math.pi": math.pi, "math.e": math.e, "None": None, "True": True, "False": False}
PY_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
}
# Python operator on a tensor -> hub spec.
TENSOR_BINOPS: dict[str, str] = {
    "+": "add", "-": "subtract", "*": "multiply", "/": "divide", "@": "matmul", "**": "pow",
}
ELEMENT_TYPES = {"f32": Float32Type(), "f64": Float64Type(), "i32": i32, "i64": i64}


def _parse_shape(text: str, element: Attribute) -> TensorType:
    """``8x16`` (the model's float type) or ``8x16xi32`` (MLIR's spelling, for indices)."""
    dims = text.split("x") if text else []
    if dims and dims[-1] in ELEMENT_TYPES:
        element = ELEMENT_TYPES[dims.pop()]
    try:
        return TensorType(element, [int(d) for d in dims])
    except ValueError:
        raise LoweringError(f"error: input shape {text!r} is not like 8x16 or 8x16xi32") from None


class ForwardEvaluator:
    """Runs ``__init__`` and the forward method of a class on static values and tensors."""

    def __init__(self, module: pysrc.ModuleOp, forward: str, builder: StablehloBuilder, framework: str = "torch"):
        self.framework = framework
        self.path = module.path.data if module.path else "<input>"
        self.classes = {c.sym_name.data: c for c in module.body.block.ops if isinstance(c, pysrc.ClassOp)}
        self.forward = forward
        self.b = builder
        # (owner, attribute, argument, layer), in assignment order
        self.param_specs: list[tuple[Instance, str, ParamArg, Layer]] = []
        self.specs = load_ontology().specs

    def error(self, op: Operation, message: str) -> LoweringError:
        loc = op.properties.get("loc") or op.attributes.get("loc")
        where = loc.data if isinstance(loc, StringAttr) else "1:1"
        return LoweringError(f"{self.path}:{where}: error: {message}")

    # ---- classes ---------------------------------------------------------------
    def method(self, cls: pysrc.ClassOp, name: str) -> pysrc.FuncOp | None:
        return next((f for f in cls.body.block.ops if isinstance(f, pysrc.FuncOp) and f.sym_name.data == name), None)

    def instantiate(self, cls: pysrc.ClassOp, args: list[Any], kwargs: dict[str, Any]) -> Instance:
        inst = Instance(cls)
        init = self.method(cls, "__init__")
        if init is not None:
            self.call_function(init, [inst, *args], kwargs)
        return inst

    def call_function(self, f: pysrc.FuncOp, args: list[Any], kwargs: dict[str, Any]) -> Any:
        env: dict[str, Any] = {}
        names = [n.data for n in f.param_names.data if n.data not in ("*", "/")]
        for text in (p.data for p in f.params.data):
            if "=" in text:
                n = text.split("=", 1)[0].split(":")[0].strip().lstrip("*")
                try:
                    env[n] = ast.literal_eval(text.split("=", 1)[1].strip())
                except (ValueError, SyntaxError):
                    pass  # a non-literal default: bound by the caller or unused
        for n, v in zip(names, args):
            env[n] = v
        for k, v in kwargs.items():
            env[k] = v
        for n in names:
            # Unbound (``rngs``): a placeholder, an error only if a computation reads it.
            env.setdefault(n, Global(f"<unbound {n}>"))
        try:
            self.run_block(f.body.block, env)
        except _Return as r:
            return r.value
        return None

    # ---- statements ------------------------------------------------------------
    def run_block(self, block: Block, env: dict[str, Any]) -> None:
        vals: dict[SSAValue, Any] = {}
        for op in block.ops:
            self.run_op(op, env, vals)

    def run_op(self, op: Operation, env: dict[str, Any], vals: dict[SSAValue, Any]) -> None:
        get = lambda v: vals[v]  # noqa: E731 (operands are always defined before use)
        match op:
            case pysrc.AssignOp():
                self.assign(op.target.data, get(op.value), env, op)
            case pysrc.AugAssignOp():
                cur = self.lookup(op.target.data, env, op)
                self.assign(op.target.data, self.binop(op.operator.data, cur, get(op.value), op), env, op)
            case pysrc.ReturnOp():
                vs = [get(v) for v in op.value]
                raise _Return(vs[0] if len(vs) == 1 else tuple(vs) if vs else None)
            case pysrc.ExprStmtOp():
                pass  # evaluated for its side effects only (super().__init__())
            case pysrc.ForOp():
                for item in get(op.iter):
                    self.assign(op.target.data, item, env, op)
                    self.run_block(op.body.block, env)
            case pysrc.IfOp():
                cond = get(op.cond)
                if isinstance(cond, SSAValue):
                    raise self.error(op, "`if` on a tensor value is not lowered (data-dependent control flow)")
                region = op.then if cond else op.orelse
                if region.blocks:
                    self.run_block(region.block, env)
            case pysrc.OpaqueStmtOp():
                if op.kind is None or op.kind.data not in ("import", "pass", "docstring", "comment"):
                    raise self.error(op, f"statement `{op.code.data.strip()}` is not lowered")
            case _:
                if op.results:
                    vals[op.results[0]] = self.value(op, [vals[v] for v in op.operands], env)
                else:
                    raise self.error(op, f"{op.name} is not lowered")

    def assign(self, target: str, value: Any, env: dict[str, Any], op: Operation) -> None:
        names = [t.strip() for t in target.strip("()").split(",") if t.strip()]
        if len(names) > 1 or target.rstrip().endswith(","):
            if not isinstance(value, tuple | list) or len(value) != len(names):
                raise self.error(op, f"cannot unpack into {target}")
            for n, v in zip(names, value, strict=True):
                self.assign(n, v, env, op)
            return
        name = names[0]
        if name.startswith("self."):
            inst = env["self"]
            attr = name[5:]
            if isinstance(value, Layer):
                hub_params = LAYERS[value.spec].params(value.config)
                args = param_args(self.framework, value.spec, hub_params)
                self.param_specs += [(inst, attr, a, value) for a in args]
            elif isinstance(value, Instance):
                value.owner = (inst, attr)
            inst.attrs[attr] = value
        else:
            env[name] = value

    def lookup(self, name: str, env: dict[str, Any], op: Operation) -> Any:
        if name.startswith("self."):
            return self.attribute(env["self"], name[5:], op)
        if name in env:
            return env[name]
        if name in self.classes:
            return self.classes[name]
        return PY_VALUES.get(name, Global(name))

    # ---- expressions -----------------------------------------------------------
    def value(self, op: Operation, args: list[Any], env: dict[str, Any]) -> Any:
        match op:
            case pysrc.NameOp():
                return self.lookup(op.id.data, env, op)
            case pysrc.ConstOp():
                return ast.literal_eval(op.code.data)
            case pysrc.TupleOp():
                return tuple(args) if op.kind.data != "list" else list(args)
            case pysrc.AttrOp():
                return self.attribute(args[0], op.attr.data, op)
            case pysrc.UnaryOp():
                return self.unaryop(op.operator.data, args[0], op)
            case pysrc.BinOp():
                return self.binop(op.operator.data, args[0], args[1], op)
            case pysrc.SliceOp():
                given = iter(args)
                lo, hi, st = (next(given) if flag == "1" else None for flag in op.parts.data)
                return slice(lo, hi, st)
            case pysrc.SubscriptOp():
                if isinstance(args[0], SSAValue):
                    return self.guard(op, lambda: index(self.b, args[0], args[1]))
                key = args[1][0] if isinstance(args[1], tuple) and len(args[1]) == 1 else args[1]
                try:
                    return args[0][key]
                except (IndexError, KeyError, TypeError) as e:
                    raise self.error(op, f"subscript: {e}") from None
            case pysrc.CallOp():
                names = [n.data for n in op.arg_names.data]
                pos = [a for a, n in zip(args[1:], names) if not n]
                kw = {n: a for a, n in zip(args[1:], names) if n}
                return self.call(args[0], pos, kw, op)
            case hub.ApplyOp():
                return self.apply_layer(args[0], args[1:], op)
            case hub.HubOp():
                return self.hub(op, args)
            case fw.CallOp() | fw.RefOp():
                why = op.unmapped.data if op.unmapped is not None else f"{op.api.data} was not raised"
                raise self.error(op, f"cannot lower {op.api.data}: {why}")
        raise self.error(op, f"{op.name} is not lowered")

    def attribute(self, obj: Any, attr: str, op: Operation) -> Any:
        if isinstance(obj, Instance):
            if attr not in obj.attrs:
                raise self.error(op, f"self.{attr} is not set in __init__")
            return obj.attrs[attr]
        if isinstance(obj, SSAValue):
            if attr == "shape":
                return shape(obj)
            if attr == "ndim":
                return len(shape(obj))
            raise self.error(op, f"tensor attribute .{attr} is not lowered")
        if isinstance(obj, Global):
            full = f"{obj.path}.{attr}"
            return PY_VALUES.get(full, Global(full))
        try:
            return getattr(obj, attr)
        except AttributeError:
            raise self.error(op, f"no attribute {attr!r} on {type(obj).__name__}") from None

    def call(self, fn: Any, args: list[Any], kwargs: dict[str, Any], op: Operation) -> Any:
        if isinstance(fn, pysrc.ClassOp):
            return self.instantiate(fn, args, kwargs)
        if isinstance(fn, Instance):
            fwd = self.method(fn.cls, self.forward)
            if fwd is None:
                raise self.error(op, f"class {fn.cls.sym_name.data} has no {self.forward} method")
            return self.call_function(fwd, [fn, *args], kwargs)
        if isinstance(fn, Layer):
            return self.apply_layer(fn, args, op)
        if isinstance(fn, Global) and fn.path in PY_CALLS:
            if any(isinstance(a, SSAValue) for a in [*args, *kwargs.values()]):
                raise self.error(op, f"{fn.path} on a tensor is not lowered")
            return PY_CALLS[fn.path](*args, **kwargs)
        if isinstance(fn, Global) and fn.path == "super":
            return Global("super()")
        if isinstance(fn, Global) and fn.path == "super().__init__":
            return None  # super().__init__(): nothing to build
        what = fn.path if isinstance(fn, Global) else type(fn).__name__
        raise self.error(op, f"call of {what} is not lowered")

    def unaryop(self, sym: str, x: Any, op: Operation) -> Any:
        if isinstance(x, SSAValue):
            if sym == "-":
                return self.b.unary("negate", x)
            if sym == "+":
                return x
            raise self.error(op, f"unary {sym} on a tensor is not lowered")
        return {"-": operator.neg, "+": operator.pos, "not": operator.not_}[sym](x)

    def binop(self, sym: str, a: Any, b: Any, op: Operation) -> Any:
        if not isinstance(a, SSAValue) and not isinstance(b, SSAValue):
            if sym not in PY_BINOPS:
                raise self.error(op, f"operator {sym} is not lowered")
            return PY_BINOPS[sym](a, b)
        if sym not in TENSOR_BINOPS:
            raise self.error(op, f"operator {sym} on tensors is not lowered")
        a, b = (self.as_tensor(v, op) for v in (a, b))
        return self.guard(op, lambda: FUNCTIONS[TENSOR_BINOPS[sym]](self.b, a, b))

    def as_tensor(self, v: Any, op: Operation) -> SSAValue:
        if isinstance(v, SSAValue):
            return v
        if isinstance(v, int | float) and not isinstance(v, bool):
            return self.b.scalar(float(v))
        raise self.error(op, f"cannot use {type(v).__name__} as a tensor")

    def guard(self, op: Operation, thunk: Callable[[], Any]) -> Any:
        try:
            return thunk()
        except (ShapeError, TypeError, KeyError) as e:
            raise self.error(op, f"{op.name}: {e}") from None

    def hub(self, op: hub.HubOp, args: list[Any]) -> Any:
        spec = op.SPEC_NAME
        names = [n.data for n in op.arg_names.data]
        bound = dict(zip(names, args, strict=True))
        if self.specs[spec].kind.value == "layer":
            if spec not in LAYERS:
                raise self.error(op, f"layer {spec} has no StableHLO lowering yet")
            config = {a.name: a.default for a in self.specs[spec].std_args}
            config.update(bound)
            return Layer(spec, config)
        if spec == "Module":
            return None
        if spec not in FUNCTIONS:
            raise self.error(op, f"hub.{spec} has no StableHLO lowering yet")
        return self.guard(op, lambda: FUNCTIONS[spec](self.b, **bound))

    def apply_layer(self, layer: Any, args: list[Any], op: Operation) -> Any:
        if isinstance(layer, Instance):
            return self.call(layer, list(args), {}, op)
        if not isinstance(layer, Layer) or len(args) != 1 or not isinstance(args[0], SSAValue):
            raise self.error(op, "a layer is applied to one tensor here")
        return self.guard(op, lambda: LAYERS[layer.spec].apply(self.b, layer.config, layer.params, args[0]))


class _Return(Exception):  # noqa: N818 (control flow, not an error)
    def __init__(self, value: Any):
        self.value = value


def _model_class(module: pysrc.ModuleOp, forward: str, name: str) -> pysrc.ClassOp:
    classes = [c for c in module.body.block.ops if isinstance(c, pysrc.ClassOp)]
    if name:
        found = [c for c in classes if c.sym_name.data == name]
    else:
        # The model is the last class with a forward that no other class instantiates.
        found = [c for c in classes if any(
            isinstance(f, pysrc.FuncOp) and f.sym_name.data == forward for f in c.body.block.ops)]
        used = {o.id.data for c in found for o in c.walk() if isinstance(o, pysrc.NameOp)}
        found = [c for c in found if c.sym_name.data not in used] or found
    if not found:
        raise LoweringError(f"error: no model class{f' {name!r}' if name else ''} with a {forward} method")
    return found[-1]


def _plain_function(module: pysrc.ModuleOp, forward: str, name: str) -> pysrc.FuncOp | None:
    """The module-level function to lower: ``name``, or else the first public one when
    the file has no model class (plain JAX code: arrays in, arrays out)."""
    funcs = [f for f in module.body.block.ops if isinstance(f, pysrc.FuncOp)]
    if name:
        found = next((f for f in funcs if f.sym_name.data == name), None)
        if found is None:
            raise LoweringError(f"error: no module-level function {name!r} to lower")
        return found
    has_model = any(
        isinstance(c, pysrc.ClassOp) and any(
            isinstance(f, pysrc.FuncOp) and f.sym_name.data == forward for f in c.body.block.ops)
        for c in module.body.block.ops
    )
    public = [f for f in funcs if not f.sym_name.data.startswith("_")]
    return public[0] if public and not has_model else None


@dataclass(frozen=True)
class LowerHubToStablehlo(ModulePass):
    """Replace the module by ``func.func public @main(inputs..., parameters...)`` computing
    the model's forward in StableHLO (see the module docstring for the argument order)."""

    name = "lower-hub-to-stablehlo"
    framework: str = "torch"
    input_shapes: tuple[str, ...] = ()
    model: str = ""
    function: str = ""
    element_type: str = "f32"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        module = next((o for o in op.ops if isinstance(o, pysrc.ModuleOp)), None)
        if module is None:
            raise LoweringError("error: lower-hub-to-stablehlo expects a Python module (pysrc.module)")
        forward = load_ontology().traits[self.framework].forward_method
        fn = None if self.model else _plain_function(module, forward, self.function)
        if fn is not None:
            what, inputs = fn.sym_name.data, [n.data for n in fn.param_names.data]
        else:
            cls = _model_class(module, forward, self.model)
            fn = next(f for f in cls.body.block.ops if isinstance(f, pysrc.FuncOp) and f.sym_name.data == forward)
            what, inputs = f"{cls.sym_name.data}.{forward}", [n.data for n in fn.param_names.data][1:]
        if len(self.input_shapes) != len(inputs):
            raise LoweringError(
                f"error: {what} takes {len(inputs)} input(s) ({', '.join(inputs)}); "
                f"give their shapes with input-shapes (e.g. --input-shape 8x16)"
            )
        element = ELEMENT_TYPES[self.element_type]
        block = Block()
        builder = StablehloBuilder(block, element)
        ev = ForwardEvaluator(module, forward, builder, self.framework)
        model = ev.instantiate(cls, [], {}) if fn.parent_op() is not module else None
        for name, dims in zip(inputs, self.input_shapes, strict=True):
            block.insert_arg(_parse_shape(dims, element), len(block.args)).name_hint = name
        for owner, attr, p, layer in ev.param_specs:
            arg = block.insert_arg(TensorType(element, list(p.shape)), len(block.args))
            arg.name_hint = f"{owner.prefix()}{attr}.{p.name}".replace(".", "_")
            layer.params[p.hub] = arg if p.to_hub is None else builder.transpose(arg, p.to_hub)
        self_arg = [model] if model is not None else []
        out = ev.call_function(fn, [*self_arg, *block.args[: len(inputs)]], {})
        outs = list(out) if isinstance(out, tuple) else [out]
        if not all(isinstance(v, SSAValue) for v in outs):
            raise LoweringError(f"error: {what} must return tensors")
        block.add_op(ReturnOp(*outs))
        func = FuncOp.from_region(
            "main", [a.type for a in block.args], [v.type for v in outs], Region(block), visibility="public"
        )
        for o in list(op.ops):
            o.detach()
            o.erase(safe_erase=False)
        op.body.block.add_op(func)
