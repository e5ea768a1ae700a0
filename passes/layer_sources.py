"""Which layer constructors a value may hold, followed through plain Python.

torchvision builds containers from lists: ``make_layers`` appends convs and pools to
``layers``, returns ``nn.Sequential(*layers)``, and the result reaches the model as a
constructor argument (``VGG(make_layers(cfg))``, ``self.features = features``). Passes that
need a layer's kind (the layout a container's call needs, which attributes are layers)
follow the value back through:

- local assignments (``conv2d = nn.Conv2d(...)``; ``layers: list = []``, ``+= [...]``,
  ``.append``, ``.extend``, ``.insert``),
- ``self.X = ...`` in the class,
- returns of a module-level function or of a method called on ``self``,
- an ``__init__`` parameter, through the calls of the class in the same file,
- a call of a parameter that every caller binds to a class of this file (``block(...)`` in
  resnet's ``_make_layer``, reached from ``_resnet(BasicBlock, ...)``),
- a call of a name every binding of which is a layer class used as a value
  (``norm_layer = nn.BatchNorm2d``, a ``hub.layer_factory``; ``norm_layer(planes)`` builds a
  ``BatchNorm2d``). As for any local, the bindings are its assignments in the function:
  the value a caller may pass for a parameter reassigned there (``if norm_layer is None:``)
  is not followed.

Every answer is complete or None: a path the analysis cannot follow (a value from outside
the file, a list mutated some other way) makes the whole answer unknown, so callers keep
the source API rather than guess.
"""

from __future__ import annotations

import weakref

from xdsl.ir import Operation, SSAValue

from switcheroo.dialects import fw, hub, pysrc
from switcheroo.dialects.pysrc_walk import ops_of
from switcheroo.passes.sibling_classes import sibling_called

Producers = list[Operation] | None


def _enclosing(op: Operation, kind: type) -> Operation | None:
    p = op.parent_op()
    while p is not None and not isinstance(p, kind):
        p = p.parent_op()
    return p


def _module(op: Operation) -> Operation:
    top = op
    while (p := top.parent_op()) is not None:
        top = p
    return top


def _own_ops(func: pysrc.FuncOp) -> list[Operation]:
    """The ops of ``func`` outside nested functions and classes, in program order (a
    nested function or class is one of them; what it holds is not)."""
    found: list[Operation] = []

    def visit(op: Operation) -> None:
        for region in op.regions:
            for block in region.blocks:
                sub = block.first_op
                while sub is not None:
                    found.append(sub)
                    if sub.regions and not isinstance(sub, (pysrc.FuncOp, pysrc.ClassOp)):
                        visit(sub)
                    sub = sub.next_op

    visit(func)
    return found


def _union(parts: list[Producers]) -> Producers:
    out: list[Operation] = []
    for p in parts:
        if p is None:
            return None
        out.extend(o for o in p if o not in out)
    return out


def producers(value: SSAValue) -> Producers:
    """The ops that built the layer ``value`` holds: hub layer ops, kept framework calls,
    and calls of classes of this file; None when some path is unknown."""
    return _producers(_Query(), value, frozenset())


def _producers(q: _Query, value: SSAValue, seen: frozenset) -> Producers:
    op = value.owner
    if not isinstance(op, Operation) or op in seen:
        return None
    seen = seen | {op}
    match op:
        case pysrc.ConstOp() if op.code.data == "None":
            return []  # downsample = None: no layer
        case hub.HubOp() if op.spec.kind.value == "layer":
            return [op]
        case hub.LayerFactoryOp():
            return [op]  # the class itself; a call of it builds the layer (layer_spec)
        case fw.CallOp():
            return [op]
        case pysrc.NameOp():
            return _name_producers(q, op, seen)
        case pysrc.AttrOp() if isinstance(op.obj.owner, pysrc.NameOp) and op.obj.owner.id.data == "self":
            cls = _enclosing(op, pysrc.ClassOp)
            if cls is None:
                return None
            target = f"self.{op.attr.data}"
            found = [a.value for a in cls.walk() if isinstance(a, pysrc.AssignOp) and a.target.data == target]
            return _union([_producers(q, v, seen) for v in found]) if found else None
        case pysrc.CallOp():
            return _call_producers(q, op, seen)
    return None


def same_file_function(call: pysrc.CallOp, q: _Query | None = None) -> pysrc.FuncOp | None:
    """The function ``call`` calls when it is a module-level function of this file or a
    method called on ``self``; None for anything else (a class, an import, a parameter).
    Within a question (``q``) the module's functions are looked up in its index."""
    callee = call.callee.owner
    if isinstance(callee, pysrc.NameOp):
        if _is_module_class(call, callee.id.data):
            return None
        if q is not None:
            return q.index(_module(call)).functions.get(callee.id.data)
        return next((f for f in _module(call).walk() if isinstance(f, pysrc.FuncOp)
                     and f.sym_name.data == callee.id.data and isinstance(f.parent_op(), pysrc.ModuleOp)), None)
    if isinstance(callee, pysrc.AttrOp) and isinstance(callee.obj.owner, pysrc.NameOp) \
            and callee.obj.owner.id.data == "self" and (cls := _enclosing(call, pysrc.ClassOp)) is not None:
        return next((f for f in cls.body.block.ops if isinstance(f, pysrc.FuncOp)
                     and f.sym_name.data == callee.attr.data), None)
    return None


def _is_module_class(at: Operation, ident: str) -> bool:
    return ident in _module_classes(_module(at))


is_module_class = _is_module_class  # for the passes that ask whether a name is a class of the file


# module -> (how many top-level ops it had, the names of its classes not inside a class).
# Passes add classes only at the top level (scaffolds), so the count tells a stale entry.
_CLASSES: weakref.WeakKeyDictionary[Operation, tuple[int, frozenset[str]]] = weakref.WeakKeyDictionary()


def _module_classes(module: Operation) -> frozenset[str]:
    """The names of the classes not inside a class. Asked for every called name of a file,
    so it is computed once per module (the walk skips class bodies, most of a file)."""
    size = sum(len(block.ops) for region in module.regions for block in region.blocks)
    hit = _CLASSES.get(module)
    if hit is not None and hit[0] == size:
        return hit[1]
    names: set[str] = set()
    todo = [module]
    while todo:
        op = todo.pop()
        if isinstance(op, pysrc.ClassOp):
            names.add(op.sym_name.data)
            continue
        todo.extend(child for region in op.regions for block in region.blocks for child in block.ops)
    _CLASSES[module] = (size, frozenset(names))
    return _CLASSES[module][1]


def _call_producers(q: _Query, call: pysrc.CallOp, seen: frozenset) -> Producers:
    callee = call.callee.owner
    if isinstance(callee, pysrc.NameOp) and _is_module_class(call, callee.id.data):
        return [call]  # an instance of a module class of this file
    if sibling_called(call) is not None:
        return [call]  # an instance of a class imported from another file of the project
    if isinstance(callee, pysrc.NameOp) and _class_values(q, callee, seen):
        return [call]  # block(...), where every caller passes a class of this file for block
    if _calls_factory(q, call, seen) is not None:
        return [call]  # norm_layer(planes), where every binding of norm_layer is nn.BatchNorm2d
    func = same_file_function(call, q)
    if func is None:
        return None
    returns = [r for r in _own_ops(func) if isinstance(r, pysrc.ReturnOp)]
    if not returns or any(not r.operands for r in returns):
        return None
    return _union([_producers(q, r.operands[0], seen) for r in returns])


def _calls_factory(q: _Query, call: pysrc.CallOp, seen: frozenset) -> str | None:
    """The layer spec ``call`` builds when what it calls is, on every path, a layer class
    used as a value of that one spec; None otherwise."""
    made = _producers(q, call.callee, seen)
    if not made or not all(isinstance(m, hub.LayerFactoryOp) for m in made):
        return None
    layers = {m.layer.data for m in made}
    return layers.pop() if len(layers) == 1 else None


def layer_spec(op: Operation) -> str | None:
    """The layer spec a producer builds: a hub layer op's, or a factory call's
    (``norm_layer(planes)``); None for anything else (a module class, a factory itself)."""
    if isinstance(op, hub.HubOp):
        return op.SPEC_NAME if op.spec.kind.value == "layer" else None
    if isinstance(op, pysrc.CallOp):
        return _calls_factory(_Query(), op, frozenset())
    return None


class _Index:
    """What one module holds that questions look up: its module-level functions by name,
    its calls in program order (with the callee's name where it is a plain name), and,
    built on first use, the calls of each function of this file."""

    def __init__(self, module: Operation) -> None:
        self.classes = _module_classes(module)
        self.functions: dict[str, pysrc.FuncOp] = {}
        self.calls: list[tuple[pysrc.CallOp, str | None]] = []
        for op in ops_of(module, (pysrc.CallOp, pysrc.FuncOp)):
            if isinstance(op, pysrc.CallOp):
                callee = op.callee.owner
                self.calls.append((op, callee.id.data if isinstance(callee, pysrc.NameOp) else None))
            elif isinstance(op.parent_op(), pysrc.ModuleOp):
                self.functions.setdefault(op.sym_name.data, op)
        self._callers: dict[pysrc.FuncOp, list[pysrc.CallOp]] | None = None

    def callers(self, func: pysrc.FuncOp, q: _Query) -> list[pysrc.CallOp]:
        """The calls whose :func:`same_file_function` is ``func``, in program order."""
        if self._callers is None:
            self._callers = {}
            for call, _ in self.calls:
                if (target := same_file_function(call, q)) is not None:
                    self._callers.setdefault(target, []).append(call)
        return self._callers.get(func, [])


class _Query:
    """One outermost question (``producers(x)``, ``class_values(n)``, ...): the module's
    :class:`_Index`, each function's assignments by target, and the answers of
    ``class_values``. A parameter's answer asks every caller, whose arguments may be
    parameters in turn (torchvision's ``norm_layer`` passed down three constructors):
    without the answers the same names are asked again per path, exponentially. An answer
    found without cutting a cycle (``seen``) does not depend on ``seen``, so it is reused
    until the outermost ``class_values`` returns. The IR does not change while a question
    is answered, so nothing here goes stale; the next question starts afresh."""

    def __init__(self) -> None:
        self.depth = 0
        self.cut = False
        self.answers: dict[pysrc.NameOp, set[str] | None] = {}
        self._indexes: dict[Operation, _Index] = {}
        self._assigned: dict[pysrc.FuncOp, dict[str, list[SSAValue]]] = {}

    def index(self, module: Operation) -> _Index:
        if (found := self._indexes.get(module)) is None:
            found = self._indexes[module] = _Index(module)
        return found

    def assigned(self, func: pysrc.FuncOp, ident: str) -> list[SSAValue]:
        """The values ``func`` assigns to the plain name ``ident``, in program order."""
        if (table := self._assigned.get(func)) is None:
            table = self._assigned[func] = {}
            for a in _own_ops(func):
                if isinstance(a, pysrc.AssignOp):
                    table.setdefault(a.target.data, []).append(a.value)
        return table.get(ident, [])


def class_values(name: pysrc.NameOp) -> set[str] | None:
    """The module classes of this file a name may hold: the class it names, or, for a
    parameter, what every caller passes; None when some path is not such a class."""
    return _class_values(_Query(), name, frozenset())


def _class_values(q: _Query, name: pysrc.NameOp, seen: frozenset) -> set[str] | None:
    if name in seen:
        q.cut = True
        return None
    if name in q.answers:
        return q.answers[name]
    outer_cut, q.cut = q.cut, False
    q.depth += 1
    try:
        found = _class_values_of(q, name, seen)
    finally:
        q.depth -= 1
    if not q.cut:
        q.answers[name] = found
    q.cut = outer_cut or q.cut
    if q.depth == 0:
        q.answers.clear()
        q.cut = False
    return found


def _class_values_of(q: _Query, name: pysrc.NameOp, seen: frozenset) -> set[str] | None:
    if name in seen:
        return None
    func = _enclosing(name, pysrc.FuncOp)
    ident = name.id.data
    assigned = q.assigned(func, ident) if func is not None else []
    if assigned:
        # As for any local, its bindings are its assignments (``if block is None: block =
        # InvertedResidual``): a class of this file on every one.
        out: set[str] = set()
        for v in assigned:
            if not isinstance(v.owner, pysrc.NameOp) or v.owner.id.data == ident \
                    or (found := _class_values(q, v.owner, seen | {name})) is None:
                return None
            out |= found
        return out
    if func is None or ident not in [p.data for p in func.param_names.data]:
        return {ident} if _is_module_class(name, ident) else None
    given = _param_arguments(q, func, ident, seen | {name})
    if not given:
        return None
    out: set[str] = set()
    for v in given:
        if not isinstance(v.owner, pysrc.NameOp) or (found := _class_values(q, v.owner, seen | {name})) is None:
            return None
        out |= found
    return out


def _param_arguments(q: _Query, func: pysrc.FuncOp, ident: str,
                     seen: frozenset = frozenset()) -> list[SSAValue | None] | None:
    """What every call of ``func`` in this file passes for its parameter ``ident``: calls of
    the class for an ``__init__``, ``self.m(...)`` for a method, ``f(...)`` for a function;
    None when one call passes it some other way or leaves it to its default."""
    params = [p.data for p in func.param_names.data]
    if ident not in params:
        return None
    owner = func.parent_op()
    if isinstance(owner, pysrc.ClassOp):
        index = params.index(ident) - 1  # after self
        if func.sym_name.data == "__init__":
            # BasicBlock(...), and block(...) where block holds BasicBlock
            found = q.index(_module(func))
            calls = [c for c, name in found.calls if name is not None and owner.sym_name.data in (
                {name} if name in found.classes else _class_values(q, c.callee.owner, seen) or ())]
        else:
            calls = q.index(_module(func)).callers(func, q)
    elif isinstance(owner, pysrc.ModuleOp):
        index = params.index(ident)
        calls = q.index(_module(func)).callers(func, q)
    else:
        return None
    given: list[SSAValue] = []
    for call in calls:
        names = [n.data for n in call.arg_names.data]
        by_kw = [v for n, v in zip(names, call.args) if n == ident]
        positional = []
        for n, v in zip(names, call.args):
            if n == "*":
                break
            if n == "":
                positional.append(v)
        if by_kw:
            given.append(by_kw[0])
        elif index < len(positional):
            given.append(positional[index])
        elif "*" not in names and "**" not in names and func.params.data[params.index(ident)].data.replace(" ", "").endswith("=None"):
            given.append(None)  # left to its default, None: no layer
        else:
            return None  # passed through *args/**kwargs, or left to another default
    return given


def _name_producers(q: _Query, name: pysrc.NameOp, seen: frozenset) -> Producers:
    func = _enclosing(name, pysrc.FuncOp)
    if func is None:
        return None
    ident = name.id.data
    found = q.assigned(func, ident)
    if found:
        return _union([_producers(q, v, seen) for v in found])
    params = [p.data for p in func.param_names.data]
    cls = func.parent_op()
    if ident not in params or func.sym_name.data != "__init__" or not isinstance(cls, pysrc.ClassOp):
        return None
    # An __init__ parameter: what the calls of the class in this file pass for it.
    given = _param_arguments(q, func, ident)
    return _union([_producers(q, v, seen) if v is not None else [] for v in given]) if given else None


def list_members(value: SSAValue) -> Producers:
    """The layers a list named by ``value`` (``layers`` in ``nn.Sequential(*layers)``) may
    hold, from every way its function fills it; None when one is not understood."""
    q = _Query()
    name = value.owner
    if isinstance(name, pysrc.TupleOp):
        return _union([_producers(q, e, frozenset()) for e in name.elts])
    if not isinstance(name, pysrc.NameOp) or (func := _enclosing(name, pysrc.FuncOp)) is None:
        return None
    ident = name.id.data
    elements: list[SSAValue] = []
    for op in _own_ops(func):
        if isinstance(op, pysrc.AssignOp) and op.target.data == ident:
            display = op.value.owner
            if not (isinstance(display, pysrc.TupleOp) and display.kind.data in ("list", "tuple")):
                return None
            elements.extend(display.elts)
        elif isinstance(op, pysrc.AugAssignOp) and op.target.data == ident:
            display = op.value.owner
            if op.operator.data != "+=" or not isinstance(display, pysrc.TupleOp):
                return None
            elements.extend(display.elts)
        elif isinstance(op, pysrc.AttrOp) and isinstance(op.obj.owner, pysrc.NameOp) \
                and op.obj.owner.id.data == ident:
            call = next((u.operation for u in op.result.uses if isinstance(u.operation, pysrc.CallOp)
                         and u.operation.callee is op.result), None)
            if call is None or op.attr.data not in ("append", "extend", "insert"):
                return None
            if op.attr.data == "append" and len(call.args) == 1:
                elements.append(call.args[0])
            elif op.attr.data == "insert" and len(call.args) == 2:
                elements.append(call.args[1])
            elif op.attr.data == "extend" and len(call.args) == 1 and isinstance(
                    display := call.args[0].owner, pysrc.TupleOp):
                elements.extend(display.elts)
            else:
                return None
    if any(isinstance(e.owner, pysrc.StarOp) for e in elements):
        return None
    return _union([_producers(q, e, frozenset()) for e in elements])
