"""RNG streams for layers built outside ``__init__``: builder functions and methods.

torchvision builds layers in plain functions (``make_layers(cfg)`` returns a Sequential of
convs) and in methods (resnet's ``self._make_layer(block, 64, 2)`` calls ``block(...)`` and
``conv1x1(...)``). A target whose layers take their RNG stream (flax's ``rngs=rngs``) needs
it threaded there too: a module-level function or a method other than ``__init__`` that
(transitively) builds layers takes a keyword-only ``rngs``, and every call of it
(``f(...)``, ``self.m(...)``), of a module class of the file, or of a parameter every caller
binds to such classes (``block(...)``), passes ``rngs=rngs`` along, until the stream comes
from a caller's parameter, its ``**kwargs`` (``vgg11(**kwargs)`` forwards what the user
passed), or ``__init__`` (which gets its own parameter in ``thread-module-state``).
"""

from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation

from switcheroo.dialects import pysrc
from switcheroo.passes import layer_sources
from switcheroo.passes.sibling_classes import sibling_classes


def _enclosing_func(op: Operation) -> pysrc.FuncOp | None:
    p = op.parent_op()
    while p is not None and not isinstance(p, pysrc.FuncOp):
        p = p.parent_op()
    return p


def _enclosing_funcs(op: Operation) -> list[pysrc.FuncOp]:
    out: list[pysrc.FuncOp] = []
    while (func := _enclosing_func(op)) is not None:
        out.append(func)
        op = func
    return out


def _takes(f: pysrc.FuncOp, name: str) -> bool:
    return name in [p.data for p in f.param_names.data]


def _callee_takes(call: pysrc.CallOp, name: str, takers: set[str], methods: list[pysrc.FuncOp]) -> bool:
    """Whether ``call`` calls something that takes the stream ``name``; ``methods``: the
    file's methods that take it."""
    callee = call.callee.owner
    if isinstance(callee, pysrc.NameOp):
        if callee.id.data in takers:
            return True
        imported = sibling_classes(call).get(callee.id.data)
        if imported is not None:
            return bool(imported.layers)  # its converted twin builds layers: it takes the stream
        classes = layer_sources.class_values(callee) if callee.id.data != "self" else None
        return bool(classes) and classes <= takers  # block(...), block bound to BasicBlock
    if takers and _super_init_of(call) & takers:
        return True  # super().__init__(...) of a class of this file whose constructor takes it
    if not methods:
        return False  # no method takes it: no ``self.m(...)`` call needs it
    target = layer_sources.same_file_function(call) if isinstance(callee, pysrc.AttrOp) else None
    return target is not None and any(target is m for m in methods)


def _super_init_of(call: pysrc.CallOp) -> set[str]:
    """The base classes (by name) whose constructor ``super().__init__(...)`` calls."""
    from switcheroo.passes.convert_factory_params import is_super_init

    if not is_super_init(call):
        return set()
    cls = call.parent_op()
    while cls is not None and not isinstance(cls, pysrc.ClassOp):
        cls = cls.parent_op()
    return {b.owner.id.data for b in cls.bases if isinstance(b.owner, pysrc.NameOp)} if cls is not None else set()


def thread_function_rngs(module: Operation, name: str, annotation: str,
                         fresh: tuple[str, str] | None = None) -> None:
    """Give builder functions and methods a keyword ``name`` parameter and pass it at their
    calls. A call outside any function (``model = Net()`` at module level) gets a fresh
    stream, ``fresh`` = (framework, API) of the stream type: ``Net(rngs=nnx.Rngs(0))``."""
    from switcheroo.passes.thread_module_state import _uses_free_name, add_keyword_param

    top = next(o for o in module.walk() if isinstance(o, pysrc.ModuleOp))
    funcs = [o for o in top.body.block.ops if isinstance(o, pysrc.FuncOp)]
    classes = [o for o in top.body.block.ops if isinstance(o, pysrc.ClassOp)]
    methods = [m for c in classes for m in c.body.block.ops
               if isinstance(m, pysrc.FuncOp) and m.sym_name.data != "__init__"]
    # Whether a function's body reads ``name`` without assigning it, kept until a call in
    # it gets ``name=name`` (the only change below to what a body reads or assigns).
    free: dict[pysrc.FuncOp, bool] = {}

    def _needs(func: pysrc.FuncOp, name: str) -> bool:
        if _takes(func, name):
            return True
        if func not in free:
            free[func] = _uses_free_name(func, name)
        return free[func]

    changed = True
    while changed:
        changed = False
        for f in [*funcs, *methods]:
            if not _takes(f, name) and _needs(f, name):
                add_keyword_param(f, f"{name}: {annotation}", name)
                changed = True
        takers = {f.sym_name.data for f in funcs if _takes(f, name)}
        takers |= {c.sym_name.data for c in classes if any(
            isinstance(i, pysrc.FuncOp) and i.sym_name.data == "__init__" and _needs(i, name)
            for i in c.body.block.ops)}
        taking = [m for m in methods if _takes(m, name)]  # the loop below adds no parameter
        for call in pysrc.ops_of(top, pysrc.CallOp):
            names = [n.data for n in call.arg_names.data]
            if name in names or not _callee_takes(call, name, takers, taking):
                continue
            caller = _enclosing_func(call)
            if caller is None:
                if fresh is not None:
                    _pass_keyword(call, name, _fresh_stream(call, *fresh))
                continue
            if "**" in names and not _takes(caller, name):
                continue  # the caller's **kwargs carry the stream the user passed
            for func in _enclosing_funcs(call):
                free.pop(func, None)
            _pass_keyword(call, name)
            changed = True


def _fresh_stream(call: pysrc.CallOp, framework: str, api: str) -> Operation:
    """``nnx.Rngs(0)`` built before ``call``; the last op built is returned."""
    from switcheroo.dialects import fw
    from switcheroo.passes.fw_common import make_const

    ref = fw.RefOp.create(properties={"framework": StringAttr(framework), "api": StringAttr(api)},
                          result_types=[pysrc.ObjectType()])
    seed = make_const(0)
    rngs = pysrc.CallOp.create(operands=[ref.results[0], seed[-1].results[0]],
                               properties={"arg_names": ArrayAttr([StringAttr("")])},
                               result_types=[pysrc.ObjectType()])
    block = call.parent_block()
    assert block is not None
    block.insert_ops_before([ref, *seed, rngs], call)
    return rngs


def _pass_keyword(call: pysrc.CallOp, name: str, value: Operation | None = None) -> None:
    """``f(a, **kw)`` -> ``f(a, name=name, **kw)`` (or ``name=<value>``)."""
    if value is None:
        value = pysrc.NameOp.create(properties={"id": StringAttr(name)}, result_types=[pysrc.ObjectType()])
    names = [n.data for n in call.arg_names.data]
    args = list(call.args)
    at = names.index("**") if "**" in names else len(names)
    names.insert(at, name)
    args.insert(at, value.results[0])
    new = pysrc.CallOp.create(operands=[call.callee, *args],
                              properties={**call.properties, "arg_names": ArrayAttr([StringAttr(n) for n in names])},
                              result_types=[call.result.type])
    block = call.parent_block()
    assert block is not None
    if value.parent is None:
        block.insert_op_before(value, call)
    block.insert_op_before(new, call)
    call.result.replace_all_uses_with(new.result)
    call.detach()
    call.erase()
