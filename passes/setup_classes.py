"""Module classes written the way a ``setup()`` framework writes them (praxis).

A praxis layer is a dataclass: its hyper-parameters are annotated class fields, its
children are built in ``setup()`` from configurations, and nothing is passed to a
constructor. For a target whose traits carry ``module_setup``, a lowered class

    class SmallCNN(base_layer.BaseLayer):
        def __init__(self, channels: int = 3):
            super().__init__()
            self.conv = praxis_layers.Conv2D(filter_shape=(3, 3, channels, 8))

becomes

    class SmallCNN(base_layer.BaseLayer):
        channels: int = 3

        def setup(self):
            self.create_child('conv', pax_fiddle.Config(praxis_layers.Conv2D, filter_shape=(3, 3, self.channels, 8)))

A constructor this cannot say as fields (``*args``, ``**kwargs``, a parameter it
reassigns) is left as it is, with a warning at the class: praxis would not build it.
"""

from __future__ import annotations

import ast

from switcheroo.dialects import fw, pysrc
from switcheroo.passes.plain_classes import _erase_tree, _is_super_init
from xdsl.dialects import builtin
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

_OBJ = pysrc.ObjectType()


def _is_base(value: SSAValue, base: str) -> bool:
    return isinstance(value.owner, fw.RefOp) and value.owner.api.data == base


def _field_text(param: str) -> tuple[str, str | None, str | None] | None:
    """``name: ann = default`` -> (name, annotation, default source); None for ``*args``."""
    try:
        fn = ast.parse(f"def f({param}): pass").body[0]
    except SyntaxError:
        return None
    assert isinstance(fn, ast.FunctionDef)
    a = fn.args
    if a.vararg or a.kwarg or not (a.args or a.kwonlyargs):
        return None
    arg = (a.args or a.kwonlyargs)[0]
    default = (a.defaults or a.kw_defaults or [None])[0]
    ann = ast.unparse(arg.annotation) if arg.annotation is not None else None
    if ann is None and default is not None:
        try:
            value = ast.literal_eval(default)
        except ValueError:
            value = ...
        if value is not ... and value is not None:
            ann = type(value).__name__
    return arg.arg, ann, ast.unparse(default) if default is not None else None


def _field(name: str, ann: str | None, default: str | None) -> list[Operation]:
    """The ops of the field statement ``name: ann = default``; the statement is last."""
    ann = ann or "object"
    if default is None:
        return [pysrc.OpaqueStmtOp.create(properties={"code": StringAttr(f"{name}: {ann}")})]
    value = pysrc.ConstOp.create(properties={"code": StringAttr(default)}, result_types=[_OBJ])
    return [value, pysrc.AssignOp.create(operands=[value.results[0]],
                                         properties={"target": StringAttr(name), "annotation": StringAttr(ann)})]


def _self_attr(attr: str) -> list[Operation]:
    me = pysrc.NameOp.create(properties={"id": StringAttr("self")}, result_types=[_OBJ])
    return [me, pysrc.AttrOp.create(operands=[me.results[0]], properties={"attr": StringAttr(attr)},
                                    result_types=[_OBJ])]


def _assigned_names(body: pysrc.FuncOp) -> set[str]:
    return {o.target.data for o in body.walk() if isinstance(o, pysrc.AssignOp | pysrc.AugAssignOp)}


def _is_layer(call: fw.CallOp) -> bool:
    """A layer's construction: typed so by lowering, or a class of the target's snapshot
    (a composed mapping's outer call: ``FeedForward(...)`` for ``nn.Linear``)."""
    from switcheroo.ontology import snapshots

    if isinstance(call.results[0].type, pysrc.LayerType):
        return True
    snap = snapshots.find(call.framework.data, call.api.data)
    return snap is not None and snap.kind(call.api.data) == "c"


def _build_in_setup(assign: pysrc.AssignOp, method: str, value: SSAValue) -> None:
    """Replace ``self.X = ...`` by ``self.<method>('X', value)`` (``create_child``,
    ``create_children``), keeping the statement's location and comments."""
    block = assign.parent_block()
    assert block is not None
    name = pysrc.ConstOp.create(properties={"code": StringAttr(repr(assign.target.data[5:]))}, result_types=[_OBJ])
    me, meth = _self_attr(method)
    made = pysrc.CallOp.create(operands=[meth.results[0], name.results[0], value],
                               properties={"arg_names": pysrc.strs(["", ""])}, result_types=[_OBJ])
    stmt = pysrc.ExprStmtOp.create(operands=[made.results[0]])
    for key in ("loc", "leading", "trailing"):
        if key in assign.properties:
            stmt.properties[key] = assign.properties[key]
    for op in (name, me, meth, made, stmt):
        block.insert_op_before(op, assign)
    assign.detach()
    assign.erase()


def _layer_list(value: SSAValue) -> list[fw.CallOp] | None:
    """The layer constructions of a list display or comprehension of layers, else None."""
    owner = value.owner
    if isinstance(owner, pysrc.TupleOp) and owner.kind.data == "list" and owner.operands:
        items = [v.owner for v in owner.operands]
    elif isinstance(owner, pysrc.CompOp) and owner.kind.data == "list":
        last = owner.body.block.last_op
        items = [last.operands[0].owner] if isinstance(last, pysrc.YieldOp) and last.operands else []
    else:
        return None
    ok = items and all(isinstance(c, fw.CallOp) and c.method is None and _is_layer(c) for c in items)
    return items if ok else None  # type: ignore[return-value]


def _children(assign: pysrc.AssignOp, setup) -> bool:
    """``self.blocks = [Layer(...) for _ in range(n)]`` -> ``self.create_children('blocks',
    [Config(Layer, ...) for _ in range(n)])``."""
    target = assign.target.data
    if not (target.startswith("self.") and target.count(".") == 1):
        return False
    items = _layer_list(assign.value)
    if items is None or any(_config(c, setup.config) is None for c in items):
        return False
    block = assign.parent_block()
    assert block is not None
    _build_in_setup(assign, setup.create_children, assign.value)
    return True


def _as_child(assign: pysrc.AssignOp, framework: str, create_child: str, config: str) -> bool:
    """``self.x = Layer(args)`` -> ``self.create_child('x', Config(Layer, args))``."""
    target = assign.target.data
    call = assign.value.owner
    if not (target.startswith("self.") and target.count(".") == 1 and isinstance(call, fw.CallOp)
            and call.method is None and call.framework.data == framework and _is_layer(call)):
        return False
    block = assign.parent_block()
    assert block is not None
    cfg = _config(call, config)
    if cfg is None:
        return False
    _build_in_setup(assign, create_child, cfg.results[0])
    return True


def _config(call: fw.CallOp, config: str) -> fw.CallOp | None:
    """Replace the construction ``Layer(a, k=v)`` by ``Config(Layer, <a's field>=a, k=v)``
    in place (positional arguments named from the snapshot: a dataclass binds them to
    inherited fields first); layers listed in its arguments become configurations too
    (``Sequential(layers=[Config(...), ...])``). None where a positional argument has no
    known field."""
    from switcheroo.ontology import snapshots

    framework, api = call.framework.data, call.api.data
    names = [n.data for n in call.arg_names.data]
    positional = [i for i, n in enumerate(names) if not n]
    fields = snapshots.bind_positional(framework, api, len(positional)) if positional else []
    if fields is None:
        return None
    for i, f in zip(positional, fields, strict=True):
        names[i] = f
    for v in call.args:
        if isinstance(v.owner, pysrc.TupleOp):
            for item in v.owner.operands:
                if isinstance(item.owner, fw.CallOp) and item.owner.method is None and _is_layer(item.owner):
                    _config(item.owner, config)
    block = call.parent_block()
    assert block is not None
    ref = fw.RefOp.create(properties={"framework": StringAttr(framework), "api": StringAttr(api)},
                          result_types=[_OBJ])
    cfg = fw.CallOp.create(operands=[ref.results[0], *call.args],
                           properties={"framework": StringAttr(framework), "api": StringAttr(config),
                                       "arg_names": pysrc.strs(["", *names])},
                           result_types=[_OBJ])
    block.insert_op_before(ref, call)
    block.insert_op_before(cfg, call)
    call.results[0].replace_all_uses_with(cfg.results[0])
    call.detach()
    call.erase()
    return cfg


def _fields_of(init: pysrc.FuncOp) -> list[tuple[str, str | None, str | None]] | str:
    """The fields the constructor's parameters become, or why they cannot."""
    fields = []
    for text in init.params.data[1:]:
        parsed = _field_text(text.data)
        if parsed is None:
            return f"its constructor takes {text.data}, which a praxis layer cannot (hyper-parameters are fields)"
        fields.append(parsed)
    if clash := {f[0] for f in fields} & _assigned_names(init):
        return f"its constructor reassigns {min(clash)}, a hyper-parameter field in praxis"
    return fields


def _user_child(assign: pysrc.AssignOp, framework: str, setup, classes: dict[str, list[str]]) -> None:
    """``self.block = Block(8)`` for a layer class of this file -> ``self.create_child('block',
    Config(Block, channels=8))``, positional arguments named by the class's fields."""
    target, call = assign.target.data, assign.value.owner
    if not (target.startswith("self.") and target.count(".") == 1 and isinstance(call, pysrc.CallOp)
            and isinstance(callee := call.operands[0].owner, pysrc.NameOp) and callee.id.data in classes):
        return
    names = [n.data for n in call.arg_names.data]
    fields = classes[callee.id.data]
    positional = [i for i, n in enumerate(names) if not n]
    if any(n.startswith("*") for n in names) or len(positional) > len(fields):
        return
    for i, f in zip(positional, fields, strict=False):
        names[i] = f
    block = assign.parent_block()
    assert block is not None
    cfg = fw.CallOp.create(operands=list(call.operands),
                           properties={"framework": StringAttr(framework), "api": StringAttr(setup.config),
                                       "arg_names": pysrc.strs(["", *names])}, result_types=[_OBJ])
    block.insert_op_before(cfg, call)
    call.results[0].replace_all_uses_with(cfg.results[0])
    call.detach()
    call.erase()
    _build_in_setup(assign, setup.create_child, cfg.results[0])


def _convert(cls: pysrc.ClassOp, init: pysrc.FuncOp, framework: str, setup,
             classes: dict[str, list[str]]) -> str | None:
    """Rewrite ``init`` as ``setup``; the reason it cannot be, or None."""
    fields = _fields_of(init)
    if isinstance(fields, str):
        return fields
    names = {f[0] for f in fields}
    for op in list(init.walk()):
        if isinstance(op, pysrc.NameOp) and op.id.data in names:
            me, attr = _self_attr(op.id.data)
            block = op.parent_block()
            assert block is not None
            block.insert_op_before(me, op)
            block.insert_op_before(attr, op)
            op.results[0].replace_all_uses_with(attr.results[0])
            op.detach()
            op.erase()
    stmts = [o for o in init.body.block.ops if isinstance(o, pysrc._Statement)]
    if stmts and _is_super_init(stmts[0]):
        if len(stmts) > 1 and "leading" in stmts[0].properties and "leading" not in stmts[1].properties:
            stmts[1].properties["leading"] = stmts[0].properties["leading"]
        _erase_tree(stmts[0])
    for stmt in [o for o in init.body.block.ops if isinstance(o, pysrc.AssignOp)]:
        if not _as_child(stmt, framework, setup.create_child, setup.config) and not _children(stmt, setup):
            _user_child(stmt, framework, setup, classes)
    if not any(isinstance(o, pysrc._Statement) for o in init.body.block.ops):
        init.body.block.add_op(pysrc.OpaqueStmtOp.create(properties={"code": StringAttr("pass")}))
    init.properties["sym_name"] = StringAttr(setup.method)
    init.properties["params"] = pysrc.strs(["self"])
    init.properties["param_names"] = pysrc.strs(["self"])
    block = cls.body.block
    for i, (name, ann, default) in enumerate(fields):
        *value, field = _field(name, ann, default)
        if i == 0 and isinstance(init.prev_op, pysrc._Statement):
            field.properties["leading"] = StringAttr('[""]')  # after the docstring
        for o in (*value, field):
            block.insert_op_before(o, init)
    if fields and "leading" not in init.properties:
        init.properties["leading"] = StringAttr('[""]')  # a blank line between fields and setup
    return None


def to_setup_classes(module: builtin.ModuleOp, framework: str) -> None:
    """Every class deriving from the target's module base, in ``setup()`` form."""
    from switcheroo.ontology.loader import load_ontology
    from switcheroo.passes.analysis_common import add_diagnostic

    traits = load_ontology().traits[framework]
    setup = traits.module_setup
    if setup is None or not traits.module_base:
        return
    layers: list[tuple[pysrc.ClassOp, pysrc.FuncOp]] = []
    for cls in pysrc.ops_of(module, pysrc.ClassOp):
        init = next((o for o in cls.body.block.ops if isinstance(o, pysrc.FuncOp)
                     and o.sym_name.data == "__init__"), None)
        if init is not None and any(_is_base(b, traits.module_base) for b in cls.bases):
            layers.append((cls, init))
    # Each layer class's fields, in order: what a positional argument of its construction binds.
    classes = {cls.sym_name.data: [n.data for n in init.param_names.data[1:]] for cls, init in layers
               if not isinstance(_fields_of(init), str)}
    for cls, init in layers:
        why = _convert(cls, init, framework, setup, classes)
        if why is not None and (loc := cls.properties.get("loc")) is not None:
            add_diagnostic(module, loc.data, "warning", f"class {cls.sym_name.data} kept with __init__: {why}")
