"""``lift-functional-model{framework=keras}``: a functional model becomes a module class.

A builder function in the functional style (``x = layers.Input(...)``, layers constructed
and called on the symbolic tensor at once, ``Model(inputs, x)``) is rewritten, still in
the source framework, into the form every other pass reads: a class whose ``__init__``
builds each layer (``self.<name>``, the layer's ``name=`` where one is given) and whose
forward method replays the calls, and a builder that constructs the class. Statements
between the input and the model that are not part of the graph (argument checks) go to
``__init__``; ``if`` statements around layers are kept in both methods, their conditions
reading the flags that ``__init__`` stores. A fused ``activation="relu"`` becomes the
activation's own call after the layer (``functional_model.activations`` in the traits).
What the builder does around the graph (checks, downloads, ``model.load_weights``) stays
in the builder as written. Helpers that build layers on a tensor become classes first
(``lift_functional_blocks``); channel counts read from symbolic tensors are followed
(``functional_channels``) and input-dependent padding is applied in the forward method
(``functional_padding``); ``functional_class`` writes the class.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import FunctionalLayer, FunctionalModelTraits
from switcheroo.passes.analysis_common import add_diagnostic, statement_loc
from switcheroo.passes.assumed_values import assume_values
from switcheroo.passes.functional_channels import Channels, drop_unread
from switcheroo.passes.functional_class import make_class, names_read
from switcheroo.passes.functional_layers import function_call, functional_form
from switcheroo.passes.functional_padding import (
    insert_helpers,
    same_padding_prelude,
    split_runtime_padding,
)
from switcheroo.passes.fw_common import const_value, is_const, operand_ops
from switcheroo.passes.layer_shapes import INPUT_SHAPE, input_dims
from switcheroo.passes.lift_functional_blocks import (
    attr_from_name,
    block_functions,
    lift_block,
    name_expr,
    reads_channels,
    split_block_use,
)
from switcheroo.passes.lift_functional_blocks import camel as _camel
from switcheroo.passes.lift_functional_blocks import deps as _deps
from switcheroo.passes.lift_functional_blocks import snake as _snake
from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass

_OBJ = pysrc.ObjectType()
_TENSOR = pysrc.TensorType()
_LAYER = pysrc.LayerType()


def _calls(op: Operation, apis: list[str]) -> list[fw.CallOp]:
    found = [o for o in op.walk() if isinstance(o, fw.CallOp) and o.api.data in apis]
    for e in operand_ops(op):
        found += [o for o in e.walk() if isinstance(o, fw.CallOp) and o.api.data in apis]
    return found


@dataclass
class _Split:
    """The two halves a graph statement becomes."""

    init: list[Operation]
    forward: list[Operation]


class _Lifter:
    def __init__(self, func: pysrc.FuncOp, traits: FunctionalModelTraits, framework: str,
                 module: builtin.ModuleOp, block_classes: dict[str, str] | None = None,
                 channel_blocks: dict[str, tuple[bool, bool]] | None = None):
        self.func = func
        self.traits = traits
        self.framework = framework
        self.module = module
        # Helper functions lifted into classes (function name -> class name), and whether
        # this lifter builds one: every layer of a block keeps its source name as data.
        self.block_classes = block_classes or {}
        self.is_block = False
        # Helpers whose class takes its input's channel count (-> whether it gives its
        # output's), and the counts known here.
        self.channel_blocks = channel_blocks if channel_blocks is not None else {}
        self.channels = Channels(traits)
        self.give_channels = False
        # The target pads "same" only with stride 1: strided ones pad at the call.
        self.pad_same_at_call = False
        self.layer_names: dict[str, Operation] = {}
        self.attr_names: set[str] = set()
        self.assumed: list[str] = []
        self.tensors: set[str] = set()
        self.locals = {p.data.lstrip("*") for p in func.param_names.data}
        self.locals |= {o.target.data for o in func.walk() if isinstance(o, pysrc.AssignOp)}

    # ---- one graph statement -------------------------------------------------------

    def _layer_name(self, ctor: fw.CallOp) -> str:
        names = [n.data for n in ctor.arg_names.data]
        arg = self.traits.name_arg
        given = ctor.args[names.index(arg)] if arg in names else None
        if given is not None and is_const(given):
            name = str(const_value(given))
        else:
            name = (given is not None and attr_from_name(given)) or _snake(ctor.api.data.rsplit(".", 1)[-1])
        name = self.unique_attr(name)
        # The source layer's name, computed as the builder computes it: the weights pair by it.
        spelled = name_expr(given) if given is not None and (self.is_block or not is_const(given)) else None
        if spelled is not None:
            self.layer_names[name] = spelled
        return name

    def unique_attr(self, name: str) -> str:
        """``name``, numbered when an attribute of that name exists."""
        base, n = name, 0
        while name in self.attr_names:
            n += 1
            name = f"{base}_{n}"
        self.attr_names.add(name)
        return name

    def _rebuild_ctor(self, ctor: fw.CallOp, extra: tuple[list[Operation], str] | None = None,
                      override: tuple[int, list[Operation]] | None = None) -> tuple[fw.CallOp, str | None, bool]:
        """The constructor without ``name=`` and a constant fused activation (with the
        keyword ``extra`` adds, and argument ``override[0]`` the value ``override[1]``
        computes; the caller places their ops); returns it, the activation's API (None for
        none) and whether a dropped activation was known."""
        keep_args, keep_names, act_api = [], [], None
        if extra is not None:
            keep_args.append(extra[0][-1].results[0])
            keep_names.append(extra[1])
        args = list(ctor.args)
        if override is not None:
            args[override[0]] = override[1][-1].results[0]
        for arg, name in zip(args, (n.data for n in ctor.arg_names.data)):
            if name == self.traits.name_arg and (is_const(arg) or name_expr(arg) is not None):
                continue
            if name == self.traits.activation_arg and is_const(arg):
                value = const_value(arg)
                key = "linear" if value is None else value
                if isinstance(key, str) and key in self.traits.activations:
                    act_api = self.traits.activations[key]
                    continue
            keep_args.append(arg)
            keep_names.append(name)
        new = fw.CallOp.create(
            operands=keep_args, result_types=[_LAYER],
            properties={**ctor.properties, "arg_names": pysrc.strs(keep_names)})
        return new, act_api, True

    def split_layer_call(self, stmt: pysrc.AssignOp, call: pysrc.CallOp, ctor: fw.CallOp) -> _Split:
        """``x = L(args)(t)`` -> ``self.n = L(args)`` and ``x = self.n(t)``."""
        exprs = operand_ops(stmt)
        source = call.args[0] if call.args else None
        extra = self.channels.input_arg(ctor, source)
        self.channels.after_layer(stmt.target.data, ctor, source, exprs)
        if (act := self._activation_layer(ctor)) is not None:
            return self.split_activation(stmt, call, ctor, act, exprs)
        form = functional_form(ctor, self.traits) if len(call.args) == 1 else None
        if form is not None and (done := self.split_function(stmt, call, ctor, form, exprs)) is not None:
            return done
        if (padded := split_runtime_padding(self, stmt, call, ctor, exprs)) is not None:
            return _Split(*padded)
        prelude = same_padding_prelude(self, stmt, call, ctor, exprs)
        ctor_ops = _deps(ctor.result, exprs)
        rest = [o for o in exprs if o not in ctor_ops]
        name = self._layer_name(ctor)
        new_ctor, act_api, _ = self._rebuild_ctor(ctor, extra, prelude[1:] if prelude else None)
        ctor_ops[ctor_ops.index(ctor)] = new_ctor
        for added in (extra[0] if extra else [], prelude[2] if prelude else []):
            ctor_ops[ctor_ops.index(new_ctor):ctor_ops.index(new_ctor)] = added
        if prelude is not None:
            # The layer is called on the padded tensor.
            padded_read = pysrc.NameOp.create(properties={"id": stmt.target}, result_types=[_TENSOR])
            old_read = call.args[0].owner
            call.operands = [call.callee, padded_read.result]
            rest = [padded_read if o is old_read else o for o in rest]
        init_assign = pysrc.AssignOp.create(
            operands=[new_ctor.result],
            properties={"target": StringAttr(f"self.{name}"),
                        **({"loc": stmt.loc} if stmt.loc else {})})
        self_ref = pysrc.NameOp.create(properties={"id": StringAttr("self")}, result_types=[_OBJ])
        attr = pysrc.AttrOp.create(operands=[self_ref.result], properties={"attr": StringAttr(name)},
                                   result_types=[_LAYER])
        ctor.result.replace_all_uses_with(attr.result)
        for o in ctor_ops:
            if o is not new_ctor and o.parent is not None:
                o.detach()
        ctor.detach()
        ctor.erase()
        fwd = [*(prelude[0] if prelude else []), self_ref, attr, *rest]
        for o in rest:
            if o.parent is not None:
                o.detach()
        if prelude is not None and isinstance(old_read, Operation):
            old_read.detach()
            old_read.erase()
        value: SSAValue = call.result
        if act_api is not None:
            act = fw.CallOp.create(
                operands=[call.result], result_types=[_TENSOR],
                properties={"framework": StringAttr(self.framework), "api": StringAttr(act_api),
                            "arg_names": pysrc.strs([""]), **({"loc": ctor.loc} if ctor.loc else {})})
            fwd.append(act)
            value = act.result
        stmt.detach()
        fwd_assign = pysrc.AssignOp.create(operands=[value], properties=dict(stmt.properties))
        stmt.erase()
        self.tensors.add(fwd_assign.target.data)
        return _Split([*ctor_ops, init_assign], [*fwd, fwd_assign])

    def _activation_layer(self, ctor: fw.CallOp) -> str | None:
        """The activation function of ``layers.Activation("relu")``; None for other layers
        and for an activation this table does not name ("linear" is the identity: "")."""
        # ``name=`` names the layer only; an activation layer has nothing else to keep.
        args = [a for a, n in zip(ctor.args, ctor.arg_names.data) if n.data != self.traits.name_arg]
        if ctor.api.data != self.traits.activation_layer or len(args) != 1 or not is_const(args[0]):
            return None
        value = const_value(args[0])
        if not isinstance(value, str) or value not in self.traits.activations:
            return None
        return self.traits.activations[value] or ""

    def split_activation(self, stmt: pysrc.AssignOp, call: pysrc.CallOp, ctor: fw.CallOp, api: str,
                         exprs: list[Operation]) -> _Split:
        """``x = layers.Activation("relu")(t)`` -> ``x = ops.relu(t)`` (a layer without weights)."""
        ctor_ops = _deps(ctor.result, exprs)
        rest = [o for o in exprs if o not in ctor_ops and o is not call]
        for o in (*exprs, stmt):
            o.detach()
        arg = call.args[0]
        if api:
            act = fw.CallOp.create(
                operands=[arg], result_types=[_TENSOR],
                properties={"framework": StringAttr(self.framework), "api": StringAttr(api),
                            "arg_names": pysrc.strs([""]), **({"loc": ctor.loc} if ctor.loc else {})})
            rest.append(act)
            arg = act.result
        assign = pysrc.AssignOp.create(operands=[arg], properties=dict(stmt.properties))
        for o in (stmt, call, *ctor_ops[::-1]):
            o.erase(safe_erase=False)
        self.tensors.add(assign.target.data)
        return _Split([], [*rest, assign])

    def split_function(self, stmt: pysrc.AssignOp, call: pysrc.CallOp, ctor: fw.CallOp,
                       form: FunctionalLayer, exprs: list[Operation]) -> _Split | None:
        """``x = layers.Add()([a, b])`` -> ``x = ops.add(a, b)`` (a layer without weights)."""
        built = function_call(form, self.framework, call.args[0], ctor.loc)
        if built is None:
            return None
        new_ops, value = built
        ctor_ops = _deps(ctor.result, exprs)
        listed = call.args[0].owner if form.inputs == "list" else None
        rest = [o for o in exprs if o not in ctor_ops and o is not call and o is not listed]
        for o in (*exprs, stmt):
            o.detach()
        assign = pysrc.AssignOp.create(operands=[value], properties=dict(stmt.properties))
        for o in (stmt, call, *([listed] if isinstance(listed, Operation) else []), *ctor_ops[::-1]):
            o.erase(safe_erase=False)
        self.tensors.add(assign.target.data)
        return _Split([], [*rest, *new_ops, assign])

    def split(self, stmt: Operation) -> _Split:
        """Where one statement of the graph region goes."""
        exprs = operand_ops(stmt)
        if isinstance(stmt, pysrc.AssignOp) and isinstance(stmt.value.owner, pysrc.CallOp):
            call = stmt.value.owner
            ctor = call.callee.owner
            if isinstance(ctor, fw.CallOp) and (isinstance(call.callee.type, pysrc.LayerType)
                                                or ctor.api.data in self.traits.functional_layers):
                return self.split_layer_call(stmt, call, ctor)
        if isinstance(stmt, pysrc.IfOp):
            return self.split_if(stmt, exprs)
        if (lifted := split_block_use(self, stmt)) is not None:
            return _Split(*lifted)
        self.channels.after_assign(stmt)
        for o in (*exprs, stmt):
            o.detach()
        reads = set(names_read([*exprs, stmt]))
        if reads & self.tensors:
            if isinstance(stmt, pysrc.AssignOp):
                self.tensors.add(stmt.target.data)
            return _Split([], [*exprs, stmt])
        return _Split([*exprs, stmt], [])

    def split_block(self, ops: list[Operation]) -> _Split:
        out = _Split([], [])
        for stmt in [o for o in ops if isinstance(o, pysrc._Statement)]:
            part = self.split(stmt)
            out.init += part.init
            out.forward += part.forward
        return out

    def split_if(self, stmt: pysrc.IfOp, cond_ops: list[Operation]) -> _Split:
        before = dict(self.channels.known)
        then = self.split_block(list(stmt.then.block.ops))
        after_then, self.channels.known = self.channels.known, dict(before)
        orelse = self.split_block(list(stmt.orelse.block.ops)) if stmt.orelse.blocks else _Split([], [])
        then_counts, else_counts = self.channels.merge(after_then, self.channels.known)
        then.init += then_counts
        orelse.init += else_counts
        for o in (*cond_ops, stmt):
            o.detach()
        halves = []
        for part_then, part_else in ((then.init, orelse.init), (then.forward, orelse.forward)):
            if not any(isinstance(o, pysrc._Statement) for o in (*part_then, *part_else)):
                halves.append([])
                continue
            mapping: dict[SSAValue, SSAValue] = {}
            conds = [o.clone(value_mapper=mapping) for o in cond_ops]
            new_if = pysrc.IfOp.create(
                operands=[mapping.get(stmt.cond, stmt.cond)], properties=dict(stmt.properties),
                regions=[Region(Block(part_then or [self._pass()])),
                         Region(Block(part_else)) if part_else else Region()])
            halves.append([*conds, new_if])
        return _Split(*halves)

    @staticmethod
    def _pass() -> pysrc.OpaqueStmtOp:
        return pysrc.OpaqueStmtOp.create(properties={"code": StringAttr("pass")})

    # ---- the whole builder ---------------------------------------------------------

    def run(self) -> pysrc.ClassOp | None:
        body = list(self.func.body.block.ops)
        stmts = [o for o in body if isinstance(o, pysrc._Statement)]
        model_at = next((i for i, s in enumerate(stmts) if _calls(s, self.traits.model)), None)
        input_at = next((i for i, s in enumerate(stmts) if _calls(s, self.traits.input)), None)
        if model_at is None or input_at is None or input_at >= model_at:
            return None
        if assumed := assume_values(self.func, self.traits.assumed_values):
            self.assumed += assumed
            # Folding may drop statements before the input: find the graph again.
            self.locals = {p.data.lstrip("*") for p in self.func.param_names.data}
            self.locals |= {o.target.data for o in self.func.walk() if isinstance(o, pysrc.AssignOp)}
            return self.run()
        model_stmt = stmts[model_at]
        model_call = _calls(model_stmt, self.traits.model)[0]
        input_call = _calls(stmts[input_at], self.traits.input)[0]
        input_assign = next(iter(u.operation for u in input_call.result.uses), None)
        if not isinstance(input_assign, pysrc.AssignOp) or len(model_call.args) < 2:
            return None
        inputs, outputs = model_call.args[0], model_call.args[1]
        if not (isinstance(inputs.owner, pysrc.NameOp) and isinstance(outputs.owner, pysrc.NameOp)):
            return None
        input_name = input_assign.target.data
        input_shape = input_dims(list(input_call.args), [n.data for n in input_call.arg_names.data])
        self.tensors.add(input_name)
        loc = statement_loc(stmts[input_at])
        if isinstance(stmts[input_at], pysrc.IfOp):
            add_diagnostic(self.module, loc, "warning",
                           f"the branches building '{input_name}' from another tensor are not kept: the "
                           f"lifted model takes '{input_name}' as its forward argument")
        for o in (*operand_ops(stmts[input_at]), stmts[input_at]):
            o.detach()
            o.erase(safe_erase=False)
        region = stmts[input_at + 1:model_at]
        plumbing = inputs.owner.id.data
        if plumbing != input_name:
            # ``inputs = get_source_inputs(input_tensor)`` / ``inputs = img_input``: plumbing of
            # the symbolic input, which the lifted model takes as its argument.
            for s in [s for s in region if isinstance(s, (pysrc.AssignOp, pysrc.IfOp))
                      and plumbing in {a.target.data for a in s.walk() if isinstance(a, pysrc.AssignOp)}]:
                add_diagnostic(self.module, statement_loc(s), "warning",
                               f"'{plumbing}' (the symbolic model input) is not kept: the lifted model "
                               f"takes '{input_name}' as its forward argument")
                region.remove(s)
                for o in (*operand_ops(s), s):
                    o.detach()
                    o.erase(safe_erase=False)
        parts = self.split_block(region)
        cls_name = _camel(self.func.sym_name.data)
        if cls_name == self.func.sym_name.data:
            cls_name += "Model"
        cls = self._build_class(cls_name, parts, input_name, outputs.owner.id.data, model_stmt, model_call)
        if input_shape is not None:
            cls.attributes[INPUT_SHAPE] = StringAttr(input_shape)  # the sizes infer-layer-sizes follows
        return cls

    def _build_class(self, cls_name: str, parts: _Split, input_name: str, output_name: str,
                     model_stmt: Operation, model_call: fw.CallOp) -> pysrc.ClassOp:
        base, cls, params = make_class(self, cls_name, parts, input_name, output_name)
        drop_unread(cls, self.channels.merged)
        # The model call becomes the class's construction, its arguments passed by keyword.
        names = [n.data for n in model_call.arg_names.data][2:]
        dropped = [n or "positional" for n in names]
        if dropped:
            add_diagnostic(self.module, statement_loc(model_stmt), "warning",
                           f"{model_call.api.data} arguments {', '.join(dropped)} are not passed to the "
                           f"lifted class {cls_name}")
        callee = pysrc.NameOp.create(properties={"id": StringAttr(cls_name)}, result_types=[_OBJ])
        reads = [pysrc.NameOp.create(properties={"id": StringAttr(p)}, result_types=[_OBJ]) for p in params]
        new_call = pysrc.CallOp.create(operands=[callee.result, *(r.result for r in reads)],
                                       properties={"arg_names": pysrc.strs(params)}, result_types=[_LAYER])
        block = model_call.parent_block()
        assert block is not None
        block.insert_ops_before([callee, *reads, new_call], model_call)
        model_call.result.replace_all_uses_with(new_call.result)
        for arg_op in _deps_of_call(model_call):
            arg_op.detach()
            arg_op.erase(safe_erase=False)
        module_block = self.func.parent_block()
        assert module_block is not None
        module_block.insert_ops_before([base, cls], self.func)
        return cls


def _deps_of_call(call: fw.CallOp) -> list[Operation]:
    block = call.parent_block()
    assert block is not None
    ops = list(block.ops)
    within = ops[:ops.index(call) + 1]
    keep = _deps(call.result, within)
    return keep[::-1]


@dataclass(frozen=True)
class LiftFunctionalModel(ModulePass):
    """Rewrite functional-API builder functions into a module class plus a builder."""

    name = "lift-functional-model"
    framework: str = "keras"
    # The framework the model is converted to, when known (what its layers can express).
    target: str = ""

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        traits = load_ontology().traits.get(self.framework)
        if traits is None or traits.functional_model is None:
            return
        insert_helpers(op, traits.functional_model, self.framework)
        # Helpers that build layers on a tensor first: builders (and other helpers) call them.
        blocks = block_functions(op, traits.functional_model)
        classes = {f.sym_name.data: _camel(f.sym_name.data) for f in blocks}
        # Helper -> (its class takes its input's channel count, it says its output's).
        channel_blocks: dict[str, tuple[bool, bool]] = {}
        give_channels = any(reads_channels(f) for f in blocks)
        target = load_ontology().traits.get(self.target)

        def lifter(func: pysrc.FuncOp) -> _Lifter:
            made = _Lifter(func, traits.functional_model, self.framework, op, classes, channel_blocks)
            made.pad_same_at_call = target is not None and target.same_padding_stride_one
            made.give_channels = give_channels
            return made

        for func in blocks:
            lift_block(lifter(func), classes)
        for func in [f for f in op.walk() if isinstance(f, pysrc.FuncOp)]:
            if isinstance(func.parent_op(), pysrc.ModuleOp):
                lifter(func).run()
