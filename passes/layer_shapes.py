"""Static shapes through a model's forward method, to find the input size of each layer.

A Keras layer names no input size (``layers.Dense(units)``): the framework reads it from
the first input. A target without lazy layers needs it in the constructor. Given the
shape of the model's input (``--input-shape``, a ``build`` call), the sizes follow the
forward method in call order: a ``Linear`` gives ``(..., out_features)``, a ``Conv2d``
``(N, out_channels, H', W')``, ``permute_dims``/``mean``/``pad``/``flatten_dims``
rearrange them, element-wise ops keep them. All of it is over hub ops, so in the hub's
(PyTorch's) conventions whatever the source framework was.

A dimension is an ``int``, an ``SSAValue`` of ``__init__`` that states it (the
``out_features`` a layer was built with: ``hidden``, ``4 * dim``), or ``None``; a shape is
a tuple of dimensions, ``(..., d)`` when only its last axes are known (a ``Linear`` over an
input of unknown rank), or ``None`` when nothing is. ``ShapeWalk`` calls
``on_layer(layer_op, input_shape)`` at every layer application it passes, before using
the layer's output size, so the caller may fill the input size in (or note it is lost).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass

from switcheroo.dialects import hub, pysrc
from xdsl.ir import Operation, SSAValue

# The discardable attribute ``infer-layer-sizes`` puts on a layer whose stated input size
# no earlier layer carries (``deferred_build`` then writes ``self.X.build(...)``).
MARK = "size_from_input"

# The discardable attribute ``lift-functional-model`` puts on the class it lifts from a
# builder whose ``keras.Input(shape=(784,))`` states the input's shape (``?x784``).
INPUT_SHAPE = "input_shape"


def input_dims(args: list[SSAValue], names: list[str]) -> str | None:
    """The arguments of ``keras.Input(shape=(784,))`` -> ``"?x784"`` (the batch axis first,
    open), or None when the shape is not a literal."""
    value = next((v for n, v in zip(names, args, strict=False) if n == "shape"), None)
    if value is None and names and names[0] == "":
        value = args[0]
    shape = literal(value) if value is not None else None
    shape = (shape,) if isinstance(shape, int) and not isinstance(shape, bool) else shape
    if not isinstance(shape, tuple) or not all(d is None or isinstance(d, int) for d in shape):
        return None
    return "x".join(["?", *("?" if d is None else str(d) for d in shape)])


@dataclass(frozen=True)
class Scaled:
    """``factor * value``: a size stated in ``__init__`` times a count (a bidirectional
    RNN's ``2 * hidden``)."""

    factor: int
    value: SSAValue


Dim = int | SSAValue | Scaled | None
Shape = tuple[Dim, ...] | None

# Layer spec -> (the argument that sizes its input, the input axis holding that size).
IN_FEATURES: dict[str, tuple[str, int]] = {
    "Linear": ("in_features", -1), "LayerNorm": ("num_features", -1), "LSTM": ("input_size", -1),
    "GRU": ("input_size", -1), "RNN": ("input_size", -1), "BatchNorm1d": ("num_features", 1),
    "BatchNorm2d": ("num_features", 1), "GroupNorm": ("num_channels", 1), "Conv1d": ("in_channels", 1),
    "Conv2d": ("in_channels", 1), "ConvTranspose1d": ("in_channels", 1), "ConvTranspose2d": ("in_channels", 1),
}
# Layers and functions that keep the shape of their (first) input.
SAME_SHAPE = frozenset({
    "ReLU", "ReLU6", "GELU", "SiLU", "Tanh", "Sigmoid", "ELU", "LeakyReLU", "Softmax", "Dropout", "Identity",
    "LayerNorm", "BatchNorm1d", "BatchNorm2d", "GroupNorm", "relu", "relu6", "silu", "gelu", "tanh", "sigmoid",
    "elu", "leaky_relu", "softplus", "mish", "hard_swish", "hard_sigmoid", "softmax", "log_softmax", "dropout",
    "exp", "log", "abs", "negative", "sqrt", "square",
})
# Layers over [N, C, *spatial] whose rank their name states.
_CHANNELS_RANK = {"BatchNorm2d": 4, "Conv2d": 4, "Conv1d": 3}
# Layers whose input has one rank (batched): a shape built for them fits every call.
FIXED_RANK = {**_CHANNELS_RANK, "LSTM": 3, "GRU": 3, "RNN": 3}
# Layers whose Keras build fixes only the last axis (Dense, LayerNormalization): a build
# shape of rank 2 fits inputs of any rank. BatchNorm1d takes [N, C] or [N, C, L], and
# Keras' BatchNormalization pins the rank it is built with, so it is not here.
ANY_RANK_BUILD = frozenset({"Linear", "LayerNorm"})
_REDUCTIONS = frozenset({"mean", "sum", "max", "min", "amax", "amin", "prod", "std", "var"})


@dataclass
class Results:
    """Several results of one call (an RNN's ``(output, state)``); ``parts[0]`` is the output."""

    parts: list[object]


def literal(value: object) -> object:
    """The Python value of a constant expression (``3``, ``(1, 1)``, ``-1``), or None; a
    value that is not an SSA value (a spec's default) is itself."""
    if not isinstance(value, SSAValue):
        return value
    op = value.owner
    try:
        if isinstance(op, pysrc.ConstOp):
            return ast.literal_eval(op.code.data)
        if isinstance(op, pysrc.UnaryOp) and op.operator.data == "-":
            inner = literal(op.operand)
            return -inner if isinstance(inner, int) else None
        if isinstance(op, pysrc.TupleOp) and op.kind.data in ("tuple", "list"):
            items = [literal(e) for e in op.elts]
            known = all(i is not None or (isinstance(e.owner, pysrc.ConstOp) and e.owner.code.data == "None")
                        for i, e in zip(items, op.elts, strict=True))
            return tuple(items) if known else None
    except (ValueError, SyntaxError):
        return None
    return None


def _arg(layer: hub.HubOp, name: str) -> object:
    """A layer argument's value: the operand, or the spec's default when not given."""
    given = layer.named_args().get(name)
    if given:
        return given[0]
    arg = layer.spec.arg(name)
    return arg.default if arg is not None else None


def dim_of(value: object) -> Dim:
    """A layer argument as a dimension: an int literal, or the operand itself when it is
    names and arithmetic (``hidden``, ``4 * dim``) the constructor can read again."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, SSAValue):
        lit = literal(value)
        return lit if isinstance(lit, int) and not isinstance(lit, bool) else value if _symbolic(value) else None
    return None


def _symbolic(value: SSAValue) -> bool:
    op = value.owner
    if isinstance(op, (pysrc.NameOp, pysrc.ConstOp)):
        return True
    return isinstance(op, pysrc.BinOp) and op.operator.data in ("+", "-", "*", "//") \
        and _symbolic(op.lhs) and _symbolic(op.rhs)


def _ints(value: object, rank: int) -> tuple[int, ...] | None:
    lit = literal(value)
    if isinstance(lit, int) and not isinstance(lit, bool):
        return (lit,) * rank
    if isinstance(lit, tuple) and len(lit) == rank and all(isinstance(i, int) for i in lit):
        return lit
    return None


def _window(shape: tuple[Dim, ...], layer: hub.HubOp, rank: int, channels: Dim) -> Shape:
    """``(N, C, *spatial)`` after a convolution or pooling window over the last ``rank`` axes."""
    spatial = list(shape[-rank:])
    kernel = _ints(_arg(layer, "kernel_size"), rank)
    stride_arg = _arg(layer, "stride")
    stride = _ints(stride_arg if stride_arg is not None else _arg(layer, "kernel_size"), rank)
    dilation = _ints(_arg(layer, "dilation") or 1, rank)
    padding = _arg(layer, "padding")
    pad_lit = literal(padding)
    out: list[Dim] = []
    for i, size in enumerate(spatial):
        if not isinstance(size, int) or kernel is None or stride is None or dilation is None:
            out.append(None)
        elif pad_lit == "same":
            out.append(math.ceil(size / stride[i]))
        else:
            pad = (0,) * rank if pad_lit == "valid" else _ints(pad_lit, rank)
            span = None if pad is None else size + 2 * pad[i] - dilation[i] * (kernel[i] - 1) - 1
            ceil = literal(_arg(layer, "ceil_mode")) is True if layer.spec.arg("ceil_mode") else False
            out.append(None if span is None else (-(-span // stride[i]) if ceil else span // stride[i]) + 1)
    return (*shape[:-rank - 1], channels, *out) if len(shape) == rank + 2 else None


def layer_output(layer: hub.HubOp, shape: Shape) -> object:
    """The shape a layer's call returns for an input of ``shape`` (hub conventions)."""
    name = layer.SPEC_NAME
    if name in ("Linear",):
        return (*(shape[:-1] if shape else (...,)), dim_of(_arg(layer, "out_features")))
    if name in ("LSTM", "GRU", "RNN"):
        hidden = dim_of(_arg(layer, "hidden_size"))
        if literal(_arg(layer, "bidirectional")) is True:
            hidden = hidden * 2 if isinstance(hidden, int) else Scaled(2, hidden) if isinstance(hidden, SSAValue) \
                else None
        lead = shape[:-1] if ranked(shape) else (None, None)  # batched input: [B, T, F] (or [T, B, F])
        return Results([(*lead, hidden), None])
    if name == "Embedding":
        return (*shape, dim_of(_arg(layer, "embedding_dim"))) if shape is not None else None
    if name in ("Conv1d", "Conv2d"):
        rank = 1 if name == "Conv1d" else 2
        shape = shape if ranked(shape) and len(shape) == rank + 2 else (None,) * (rank + 2)  # [N, C, *spatial]
        return _window(shape, layer, rank, dim_of(_arg(layer, "out_channels")))
    if name in ("MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d"):
        rank = 1 if name.endswith("1d") else 2
        return _window(shape, layer, rank, shape[-rank - 1]) if ranked(shape) and len(shape) > rank else None
    if name in ("AdaptiveAvgPool2d", "AdaptiveMaxPool2d"):
        size = _ints(_arg(layer, "output_size"), 2)
        return (*shape[:-2], *size) if ranked(shape) and len(shape) >= 2 and size else None
    if name == "Flatten":
        return _flatten(shape, literal(_arg(layer, "start_dim")), literal(_arg(layer, "end_dim")))
    if name in SAME_SHAPE:
        feature = IN_FEATURES.get(name)
        if not ranked(shape) and name in _CHANNELS_RANK:
            shape = (None,) * _CHANNELS_RANK[name]
        elif shape is None and feature is not None and feature[1] == -1:
            shape = (..., None)  # a LayerNorm over an input of unknown rank: its last axis
        if feature is None or shape is None or at(shape, feature[1]) is _OUT:
            return shape
        # the layer's own size names the feature axis when the input's does not
        size = dim_of(_arg(layer, feature[0]))
        out = list(shape)
        out[feature[1]] = out[feature[1]] if out[feature[1]] is not None else size
        return tuple(out)
    return None


def ranked(shape: object) -> bool:
    """A shape whose every axis is known to exist (no ``...``)."""
    return isinstance(shape, tuple) and ... not in shape


_OUT = object()


def at(shape: Shape, axis: int) -> object:
    """``shape[axis]``: ``None`` when not known, ``_OUT`` when there is no such axis."""
    if shape is None or (axis >= 0 and not ranked(shape)):
        return None
    if not -len(shape) <= axis < len(shape) or shape[axis] is ...:
        return None if shape and shape[0] is ... else _OUT
    return shape[axis]


def _flatten(shape: Shape, start: object, end: object) -> Shape:
    if not ranked(shape) or not isinstance(start, int) or not isinstance(end, int):
        return None
    rank = len(shape)
    s, e = start % rank, end % rank
    middle = shape[s:e + 1]
    size = math.prod(middle) if all(isinstance(d, int) for d in middle) else None
    return (*shape[:s], size, *shape[e + 1:])


def _axes(value: object, rank: int) -> list[int] | None:
    axes = literal(value)
    axes = (axes,) if isinstance(axes, int) else axes
    if not isinstance(axes, tuple) or not all(isinstance(a, int) and -rank <= a < rank for a in axes):
        return None
    return sorted(a % rank for a in axes)


def _broadcast(a: Shape, b: Shape) -> Shape:
    """``a + b``: a residual sum keeps the shape of the side that is known."""
    if a is None or b is None:
        return a if b is None else b
    if not ranked(a) or not ranked(b):
        return a if ranked(a) else b
    if len(a) != len(b):
        return a if len(a) > len(b) else b
    return tuple(x if x is not None and x != 1 else y for x, y in zip(a, b, strict=True))


def _output(value: object) -> Shape:
    """A value used as a tensor: an RNN's call that returned its output alone is that output."""
    value = value.parts[0] if isinstance(value, Results) else value
    return value if isinstance(value, tuple) else None


class ShapeWalk:
    """Evaluates shapes over one class's methods (see the module docstring)."""

    def __init__(self, cls: pysrc.ClassOp, ctors: dict[str, Operation],
                 on_layer: Callable[[hub.HubOp, Shape], None]):
        self.funcs = {f.sym_name.data: f for f in cls.body.block.ops if isinstance(f, pysrc.FuncOp)}
        self.ctors = ctors
        self.on_layer = on_layer
        self.depth = 0

    def run(self, name: str, inputs: list[Shape]) -> object:
        """Walk method ``name`` with its inputs (after ``self``) of the given shapes."""
        func = self.funcs.get(name)
        if func is None or self.depth > 8:
            return None
        params = [p.data for p in func.param_names.data][1:]
        env: dict[str, object] = dict(zip(params, inputs, strict=False))
        self.depth += 1
        try:
            return self._block(func.body.block, env, {})
        finally:
            self.depth -= 1

    def _block(self, block, env: dict[str, object], memo: dict[SSAValue, object]) -> object:
        result = None
        for op in block.ops:
            # By exact class (these have no subclasses): ``isinstance`` against an op class
            # an op is not costs an ``ABCMeta`` check, and most ops here are expressions.
            kind = type(op)
            if kind is pysrc.AssignOp:
                self._assign(op.target.data, self.value(op.value, env, memo), env)
            elif kind is pysrc.ExprStmtOp or kind is pysrc.ReturnOp:
                values = [self.value(v, env, memo) for v in op.operands]
                if kind is pysrc.ReturnOp and result is None and len(values) == 1:
                    result = values[0]
            elif op.regions:
                for region in op.regions:  # a branch or loop: its layers see the shapes known here
                    for inner in region.blocks:
                        self._block(inner, dict(env), memo)
                for stmt in pysrc.ops_of(op, pysrc.AssignOp):
                    env.pop(stmt.target.data, None)  # may or may not have run
        return result

    @staticmethod
    def _assign(target: str, value: object, env: dict[str, object]) -> None:
        names = [t.strip() for t in target.strip("()[] ").split(",")]
        if len(names) == 1:
            env[names[0]] = value
            return
        parts = value.parts if isinstance(value, Results) else []
        for i, n in enumerate(names):
            env[n] = parts[i] if i < len(parts) else None

    def value(self, value: SSAValue, env: dict[str, object], memo: dict[SSAValue, object]) -> object:
        if value in memo:
            return memo[value]
        memo[value] = out = self._eval(value.owner, env, memo)
        return out

    def _eval(self, op: Operation, env: dict[str, object], memo: dict[SSAValue, object]) -> object:
        def val(v: SSAValue) -> object:
            return self.value(v, env, memo)

        kind = type(op)  # by exact class first, as in ``_block``
        if kind is pysrc.NameOp:
            return env.get(op.id.data)
        if kind is hub.ApplyOp:
            layer = self._layer(op.args[0])
            # one input; keyword arguments (Keras' training=, mask=) leave its shape as it is
            inputs = [i for i, n in enumerate(op.arg_names.data) if i and not n.data]
            if layer is None or inputs != [1]:
                return None
            for v in op.args[2:]:
                val(v)  # layers applied inside the keyword arguments
            return self.apply(layer, val(op.args[1]))
        if kind is pysrc.CallOp and isinstance(m := op.callee.owner, pysrc.AttrOp) \
                and isinstance(s := m.obj.owner, pysrc.NameOp) and s.id.data == "self" and m.attr.data in self.funcs:
            if any(n.data for n in op.arg_names.data):
                return None
            return self.run(m.attr.data, [val(a) for a in op.args])  # self.attention(h)
        if kind is pysrc.SubscriptOp:
            return self._subscript(val(op.value), op.index)
        if kind is pysrc.BinOp and op.operator.data in ("+", "-", "*", "/"):
            a, b = val(op.lhs), val(op.rhs)
            return _broadcast(a if isinstance(a, tuple) else None, b if isinstance(b, tuple) else None)
        if isinstance(op, hub.HubOp):
            args = op.named_args()
            first = _output(val(op.args[0])) if op.args else None
            for v in op.args[1:]:
                val(v)  # layers applied inside the other arguments
            return self._function(op, first if isinstance(first, tuple) else None, args)
        for v in op.operands:
            val(v)
        return None

    def _layer(self, value: SSAValue) -> hub.HubOp | None:
        op = value.owner
        if isinstance(op, pysrc.AttrOp) and isinstance(s := op.obj.owner, pysrc.NameOp) and s.id.data == "self":
            found = self.ctors.get(op.attr.data)
            return found if isinstance(found, hub.HubOp) else None
        return op if isinstance(op, hub.HubOp) else None

    def apply(self, layer: hub.HubOp, shape: object) -> object:
        """Call ``layer`` on an input of ``shape``: a ``Sequential`` chains its members, a
        wrapper of one layer (``WeightNorm(Dense)``) is that layer."""
        shape = _output(shape)
        inner = [v.owner for v in layer.args if isinstance(v.owner, hub.HubOp) and v.owner.spec.kind.value == "layer"]
        if layer.SPEC_NAME == "Sequential":
            out: object = shape
            for member in inner:
                out = self.apply(member, out)
            return out
        if len(inner) == 1 and layer.SPEC_NAME not in IN_FEATURES:
            return self.apply(inner[0], shape)
        self.on_layer(layer, shape)
        return layer_output(layer, shape)

    def _subscript(self, base: object, index: SSAValue) -> object:
        if isinstance(base, Results):
            i = literal(index)
            if isinstance(i, int):
                return base.parts[i] if -len(base.parts) <= i < len(base.parts) else None
            base = base.parts[0]  # only a tensor takes slices: the call returned its output alone
        if not ranked(base):
            return None
        idx = index.owner
        items = list(idx.elts) if isinstance(idx, pysrc.TupleOp) and idx.kind.data == "tuple" else [index]
        out: list[Dim] = []
        axis = 0
        for item in items:
            if axis >= len(base):
                return None
            if isinstance(item.owner, pysrc.SliceOp):
                out.append(base[axis] if item.owner.parts.data == "000" else None)
            elif not isinstance(literal(item), int):
                return None
            axis += 1
        return (*out, *base[axis:])

    def _function(self, op: hub.HubOp, shape: Shape, args: dict[str, list[SSAValue]]) -> Shape:
        name = op.SPEC_NAME
        if name in SAME_SHAPE or shape is None:
            return shape
        if not ranked(shape):
            return None
        if name == "permute_dims":
            axes = literal(args["axes"][0]) if args.get("axes") else None
            ok = isinstance(axes, tuple) and sorted(a % len(shape) for a in axes if isinstance(a, int)) \
                == list(range(len(shape)))
            return tuple(shape[a] for a in axes) if ok else None
        if name in _REDUCTIONS:
            axes = _axes(args["axis"][0], len(shape)) if args.get("axis") else list(range(len(shape)))
            keep = literal(args["keepdims"][0]) if args.get("keepdims") else False
            if axes is None:
                return None
            return tuple(1 if i in axes else d for i, d in enumerate(shape)) if keep is True \
                else tuple(d for i, d in enumerate(shape) if i not in axes)
        if name == "pad":
            widths = literal(args["pad_width"][0]) if args.get("pad_width") else None
            if not isinstance(widths, tuple) or len(widths) != len(shape):
                return None
            return tuple(d + sum(w) if isinstance(d, int) else (d if sum(w) == 0 else None)
                         for d, w in zip(shape, widths, strict=True))
        if name == "flatten_dims":
            start = literal(args["start_dim"][0]) if args.get("start_dim") else 0
            end = literal(args["end_dim"][0]) if args.get("end_dim") else -1
            return _flatten(shape, start, end)
        if name == "reshape":
            want = literal(args["shape"][0]) if args.get("shape") else None
            if not isinstance(want, tuple) or not all(isinstance(d, int) for d in want):
                return None
            known = math.prod(d for d in shape) if all(isinstance(d, int) for d in shape) else None
            rest = math.prod(d for d in want if d != -1)
            return tuple((known // rest if known is not None and rest else None) if d == -1 else d for d in want)
        return None

