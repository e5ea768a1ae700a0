"""Layers a target spells with a small class of its own, written once into the output file.

A variant naming one of these plugins in ``requires_plugin`` is built by calling the
class (``GRUCell(5, 8, rngs=rngs)``) instead of the framework API it derives from; the
class definition is parsed from the plugin's template and placed before the module's
first class. Raising goes back: a module-level class with the template's name and base
is the framework API again (its calls become calls of the base, the class is dropped),
so ``nnx.RNN(GRUCell(...))`` raises to the hub layer it stands for.

- ``torch_gru_cell``: ``flax.nnx.GRUCell`` has no hidden bias of the candidate gate
  (``dense_h`` has no bias), while PyTorch's GRU computes
  ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``; the r and z hidden biases fold into
  the input bias, ``b_hn`` cannot (it is multiplied by r). The class adds ``bias_hn``.
- ``numpy_scaffold``: NumPy has no layers (nor softmax); each variant names a class or
  function of ``passes/scaffolds/numpy_layers.py`` or ``numpy_sequence.py`` (``api:
  Linear``), copied with the classes it derives from or uses (``Conv2d(_ConvNd)``). They
  have no framework base and do not fold back.
- ``keras_scaffold``, ``mlx_scaffold``: the same for a layer Keras or MLX has no class for
  (``WeightNorm`` of ``keras_layers.py``, ``mlx_layers.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.dialects import fw, pysrc
from switcheroo.ontology.odl import Variant
from switcheroo.passes import scaffolds
from switcheroo.passes.layer_plugins import PluginRefusal
from xdsl.dialects import builtin
from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Attribute, Operation, SSAValue


@dataclass(frozen=True)
class Scaffold:
    """A class the output module defines: its name, the API it derives from, its text."""

    class_name: str
    base_api: str
    framework: str
    template: str
    # Keys of the scaffolds it derives from, defined before it (numpy's Conv2d: _ConvNd).
    needs: tuple[str, ...] = ()


_TORCH_GRU_CELL = '''\
import jax.numpy as jnp
from flax import nnx


class GRUCell(nnx.GRUCell):
    """nnx.GRUCell with PyTorch's hidden bias of the candidate gate:
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""

    def __init__(self, in_features: int, hidden_features: int, *, rngs: nnx.Rngs):
        super().__init__(in_features, hidden_features, rngs=rngs)
        self.bias_hn = nnx.Param(jnp.zeros((hidden_features,)))

    def __call__(self, carry, inputs):
        x_r, x_z, x_n = jnp.split(self.dense_i(inputs), 3, axis=-1)
        h_r, h_z, h_n = jnp.split(self.dense_h(carry), 3, axis=-1)
        r = nnx.sigmoid(x_r + h_r)
        z = nnx.sigmoid(x_z + h_z)
        n = nnx.tanh(x_n + r * (h_n + self.bias_hn))
        h = (1.0 - z) * n + z * carry
        return h, h
'''

SCAFFOLDS: dict[str, Scaffold] = {
    "torch_gru_cell": Scaffold("GRUCell", "flax.nnx.GRUCell", "flax_nnx", _TORCH_GRU_CELL),
}
# Plugins whose classes come from files of ``passes/scaffolds`` (one class per variant:
# the one its ``api`` names), keyed ``plugin:Class`` in file order.
SCAFFOLD_FILES = {
    "keras_scaffold": ("keras", ("keras_layers.py",)),
    "mlx_scaffold": ("mlx", ("mlx_layers.py",)),
    "numpy_scaffold": ("numpy", ("numpy_layers.py", "numpy_sequence.py")),
}
for _plugin, (_fw, _files) in SCAFFOLD_FILES.items():
    for _c in scaffolds.file_classes(*_files).values():
        SCAFFOLDS[f"{_plugin}:{_c.name}"] = Scaffold(_c.name, "", _fw, _c.template,
                                                     tuple(f"{_plugin}:{n}" for n in _c.needs))


class ScaffoldRefusal(PluginRefusal):
    """The class cannot be added: the module defines another class of that name."""


def scaffold_of(variant: Variant) -> Scaffold | None:
    for p in variant.requires_plugin:
        found = SCAFFOLDS.get(p) or (SCAFFOLDS.get(f"{p}:{variant.api}") if p in SCAFFOLD_FILES else None)
        if found is not None:
            return found
    return None


def as_local_class(variant: Variant, call: fw.CallOp, src: Operation) -> list[Operation]:
    """``nnx.GRUCell(...)`` -> ``GRUCell(...)`` when the variant names a scaffold (the new
    ops, the last giving the layer); otherwise ``[call]``. ``src`` is the op lowered."""
    found = scaffold_of(variant)
    if found is None:
        return [call]
    try:
        return local_call(found, list(call.args), call.arg_names, call.result.type, src)
    finally:
        call.erase()


def local_call(found: Scaffold, args: list[SSAValue], arg_names: ArrayAttr, result_type: Attribute,
               src: Operation) -> list[Operation]:
    """``Class(args...)`` of the scaffold ``found``, which the output module will define
    (the new ops, the last giving the layer); ``src`` is the op lowered."""
    top = src.parent_op()
    while top is not None and not isinstance(top, pysrc.ModuleOp):
        top = top.parent_op()
    if top is not None and any(isinstance(o, pysrc.ClassOp) and o.sym_name.data == found.class_name
                               for o in top.body.block.ops):
        raise ScaffoldRefusal(f"{found.base_api or found.class_name} needs a class {found.class_name} of its "
                              "own, and the module already defines one")
    name = pysrc.NameOp.create(properties={"id": StringAttr(found.class_name)}, result_types=[result_type])
    local = pysrc.CallOp.create(operands=[name.results[0], *args], properties={"arg_names": arg_names},
                                result_types=[result_type])
    local.attributes["swc.scaffold"] = StringAttr(_key(found))
    return [name, local]


def _key(found: Scaffold) -> str:
    return next(k for k, v in SCAFFOLDS.items() if v is found)


def _module_body(module: builtin.ModuleOp) -> pysrc.ModuleOp | None:
    return next((o for o in module.body.block.ops if isinstance(o, pysrc.ModuleOp)), None)


def insert_scaffolds(module: builtin.ModuleOp) -> None:
    """Define each class some call of the module builds, once, before the first class."""
    top = _module_body(module)
    if top is None:
        return
    wanted: list[str] = []
    for op in pysrc.ops_of(top, pysrc.CallOp):
        if (key := op.attributes.get("swc.scaffold")) is not None:
            del op.attributes["swc.scaffold"]
            if key.data not in wanted:
                wanted.append(key.data)
    wanted = _with_needs(wanted)
    block = top.body.block
    _add_stdlib_imports(block, [SCAFFOLDS[k] for k in wanted])
    anchor = next((o for o in block.ops if isinstance(o, pysrc.ClassOp)), None)
    for key in wanted:
        for op in _template_ops(SCAFFOLDS[key]):
            if anchor is None:
                block.add_op(op)
            else:
                block.insert_op_before(op, anchor)


def _add_stdlib_imports(block, found: list[Scaffold]) -> None:
    """The standard-library imports the templates use (``import math``), after the
    module's imports; the backend adds the framework imports the output uses."""
    import ast

    from switcheroo.ontology.compose import PYTHON_MODULES

    have = {o.code.data for o in block.ops if isinstance(o, pysrc.OpaqueStmtOp)}
    imports = [o for o in block.ops if isinstance(o, pysrc.OpaqueStmtOp) and o.code.data.startswith(("import ", "from "))]
    for scaffold in found:
        for node in ast.parse(scaffold.template).body:
            if not isinstance(node, ast.Import) or any(a.name not in PYTHON_MODULES for a in node.names):
                continue
            code = ast.unparse(node)
            if code in have:
                continue
            have.add(code)
            stmt = pysrc.OpaqueStmtOp.create(properties={"code": StringAttr(code), "kind": StringAttr("import")})
            if imports:
                block.insert_op_after(stmt, imports[-1])
            elif isinstance(first := block.first_op, pysrc.OpaqueStmtOp) and first.code.data.startswith(('"', "'")):
                block.insert_op_after(stmt, first)  # after the module's docstring
            elif first is not None:
                block.insert_op_before(stmt, first)
            else:
                block.add_op(stmt)
            imports.append(stmt)


def _with_needs(wanted: list[str]) -> list[str]:
    """``wanted`` and the scaffolds they derive from, each after what it needs."""
    out: list[str] = []

    def add(key: str) -> None:
        for need in SCAFFOLDS[key].needs:
            add(need)
        if key not in out:
            out.append(key)

    for key in wanted:
        add(key)
    return out


def _template_ops(found: Scaffold) -> list[Operation]:
    """The template's class and the ops its bases need, without the template's imports
    (the backend adds the imports the output uses) or source positions."""
    from switcheroo.frontends.python.lower import lower_python

    parsed = _module_body(lower_python(found.template, f"<{found.class_name}>", found.framework,
                                         own_scaffolds=False))
    assert parsed is not None
    ops = [o for o in parsed.body.block.ops if not isinstance(o, pysrc.OpaqueStmtOp)]
    for op in ops:
        op.detach()
        for inner in op.walk():
            inner.properties.pop("loc", None)
    return ops


def fold_scaffolds(module: builtin.ModuleOp, framework: str) -> None:
    """Raising: a module-level class that is a scaffold of ``framework`` goes back to its
    base API (its calls call the base; the class is dropped)."""
    top = _module_body(module)
    if top is None:
        return
    block = top.body.block
    for found in (s for s in SCAFFOLDS.values() if s.framework == framework and s.base_api):
        cls = next((o for o in block.ops if isinstance(o, pysrc.ClassOp) and o.sym_name.data == found.class_name
                    and len(o.bases) == 1 and isinstance(o.bases[0].owner, fw.RefOp)
                    and o.bases[0].owner.api.data == found.base_api), None)
        if cls is None:
            continue
        for call in [o for o in top.walk() if isinstance(o, pysrc.CallOp)]:
            callee = call.callee.owner
            if not (isinstance(callee, pysrc.NameOp) and callee.id.data == found.class_name):
                continue
            base = fw.CallOp.create(
                operands=list(call.args),
                properties={"framework": StringAttr(framework), "api": StringAttr(found.base_api),
                            "arg_names": call.arg_names},
                result_types=[call.result.type])
            call_block = call.parent_block()
            assert call_block is not None
            call_block.insert_op_before(base, call)
            call.result.replace_all_uses_with(base.results[0])
            _drop(call)
            if not callee.results[0].uses:
                _drop(callee)
        ref = cls.bases[0].owner
        _drop(cls)
        if isinstance(ref, Operation) and not ref.results[0].uses:
            _drop(ref)


def _drop(op: Operation) -> None:
    op.detach()
    op.erase()
