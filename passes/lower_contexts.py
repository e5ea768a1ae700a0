"""Contexts and decorators of the source framework, lowered before the other hub ops.

Run by ``lower-hub-to-fw`` ahead of its op patterns, because these ops act on a block or a
function rather than on values:

- a ``with`` item raised to a context spec (``op_type: context``, ``torch.no_grad()``) whose
  target mapping asks for the ``unwrap_context`` plugin is a no-op there (gradients are only
  computed on request): the item is removed, and with no item left the body is written in
  the ``with`` statement's place, its comments and blank lines kept. Any other context is
  left to the hub-op lowering (the target's call, or the source kept and marked);
- a function or class decorator naming a decorator or context spec (``@torch.compile``,
  ``@torch.no_grad()``) becomes the target's API (``@jax.jit``), is dropped where the
  target's mapping is the identity (``compose: 'fun'``) or an unwrapped context, and is
  kept, marked ``# swc: unmapped <api>`` and reported where the target has no mapping.
"""

from __future__ import annotations

import ast
import json

from switcheroo.dialects import hub, pysrc
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import OpSpec, Variant
from switcheroo.passes import module_modes
from switcheroo.passes.analysis_common import add_diagnostic, statement_loc
from switcheroo.passes.fw_common import chain, target_variant
from switcheroo.passes.scan_leftovers import _mark as mark_statement
from switcheroo.passes.scan_leftovers import import_bindings
from xdsl.dialects import builtin
from xdsl.dialects.builtin import StringAttr

UNWRAP = "unwrap_context"
_FLOW_OPS = ("context", "decorator")


def _is_unwrapped(variant: Variant) -> bool:
    return UNWRAP in variant.requires_plugin


def _is_identity(spec: OpSpec, variant: Variant) -> bool:
    """``jit: {compose: 'fun'}``: the op returns its (only) function argument unchanged."""
    return variant.compose is not None and variant.compose.strip() in {a.name for a in spec.std_args}


def _merge_lines(*attrs: StringAttr | None) -> StringAttr | None:
    lines = [ln for a in attrs if a is not None for ln in json.loads(a.data)]
    return StringAttr(json.dumps(lines)) if lines else None


# -- with statements -------------------------------------------------------------------
def unwrap_contexts(module: builtin.ModuleOp, framework: str) -> None:
    """Drop the ``with`` items the target spells as no context at all (see module docstring)."""
    for op in pysrc.ops_of(module, pysrc.WithOp):
        names = [n.data for n in op.as_names.data]
        keep = []
        for item, name in zip(op.items, names, strict=True):
            owner = item.owner
            found = target_variant(owner.spec, framework) if isinstance(owner, hub.HubOp) \
                and owner.spec.op_type.value == "context" else None
            if found is not None and _is_unwrapped(found[1]) and not name and len(list(item.uses)) == 1:
                continue
            keep.append((item, name))
        if len(keep) == len(names):
            continue
        dropped = [i.owner for i in op.items if all(i is not k for k, _ in keep)]
        if keep:
            new = pysrc.WithOp.create(operands=[k for k, _ in keep], properties={
                **op.properties, "as_names": pysrc.strs([n for _, n in keep])},
                regions=[op.detach_region(op.body)])
            op.parent_block().insert_op_before(new, op)
        else:
            _inline_body(op)
        op.parent_block().erase_op(op)
        for d in dropped:
            if not d.results[0].uses:
                d.parent_block().erase_op(d)


def _inline_body(op: pysrc.WithOp) -> None:
    """Move the body's ops before ``op``: its blank lines and comments go to the first
    statement, the header's comment becomes a comment line above it."""
    block = op.parent_block()
    body = list(op.body.block.ops)
    first = next((b for b in body if isinstance(b, pysrc._Statement)), None)
    if first is not None:
        header = StringAttr(json.dumps([op.trailing.data])) if op.trailing is not None else None
        lead = _merge_lines(op.leading, header, first.leading)
        if lead is not None:
            first.properties["leading"] = lead
    for b in body:
        b.detach()
        block.insert_op_before(b, op)
    if op.footer is not None and body:
        last = next((b for b in reversed(body) if isinstance(b, pysrc._Statement)), None)
        if last is not None:
            last.properties["footer"] = _merge_lines(last.footer, op.footer)


# -- decorators ------------------------------------------------------------------------
def _bindings() -> dict[str, tuple[str, list[str]]]:
    """framework -> (framework, its source prefixes), for every framework with prefixes."""
    return {k: (k, list(t.source_prefixes)) for k, t in load_ontology().traits.items() if t.source_prefixes}


def _imports(module: builtin.ModuleOp) -> dict[str, tuple[str, str]]:
    """Local name -> (framework, module or qualified name) bound by the file's imports."""
    out: dict[str, tuple[str, str]] = {}
    codes = [o.code.data for o in pysrc.ops_of(module, pysrc.OpaqueStmtOp)
             if o.kind is not None and o.kind.data == "import"]
    for fwk, prefixes in _bindings().values():
        for code in codes:
            for local, qual in import_bindings(code, prefixes).items():
                out.setdefault(local, (fwk, qual))
    return out


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (head := _dotted(node.value)) is not None:
        return f"{head}.{node.attr}"
    return None


def _resolve(text: str, imports: dict[str, tuple[str, str]]) -> tuple[str, str, bool, bool] | None:
    """(framework, api, called, has_args) of a decorator naming a framework object."""
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    called = isinstance(node, ast.Call)
    has_args = called and bool(node.args or node.keywords)
    dotted = _dotted(node.func if called else node)
    if dotted is None:
        return None
    head, _, rest = dotted.partition(".")
    if head not in imports:
        return None
    fwk, qual = imports[head]
    return fwk, f"{qual}.{rest}" if rest else qual, called, has_args


def lower_decorators(module: builtin.ModuleOp, framework: str,
                     imports: dict[str, tuple[str, str]] | None = None) -> None:
    """Rewrite the decorators of functions and classes (see module docstring); ``imports``
    are the file's (:func:`_imports`) where the caller has them."""
    imports = _imports(module) if imports is None else imports
    if not imports:
        return
    onto, own = load_ontology(), chain(framework)
    for op in pysrc.ops_of(module, (pysrc.FuncOp, pysrc.ClassOp)):
        if op.decorators is None:
            continue
        out: list[str] = []
        for d in op.decorators.data:
            text = d.data
            hit = _resolve(text, imports)
            found = onto.lookup_api(hit[0], hit[1]) if hit else None
            if hit is None or found is None or found[0].op_type.value not in _FLOW_OPS or hit[0] in own:
                out.append(text)
                continue
            spec = found[0]
            target = target_variant(spec, framework)
            variant = target[1] if target is not None else None
            if variant is not None and (_is_identity(spec, variant) or _is_unwrapped(variant)):
                continue  # @torch.compile for NumPy, @torch.no_grad() for JAX: nothing to say
            if variant is not None and not hit[3] and variant.api and variant.compose is None:
                # A decorator spec is applied bare (@jax.jit), a context is called (@torch.no_grad()).
                call = "()" if spec.op_type.value == "context" else ""
                out.append(f"{{{{fw:{variant.api}}}}}{call}")
                continue
            out.append(text)
            why = f"no {framework} mapping for {spec.operation!r}" if target is None else "its arguments are not converted"
            add_diagnostic(module, statement_loc(op), "warning", f"unmapped {hit[1]}: {why}")
            mark_statement(op, hit[1])
        op.properties["decorators"] = pysrc.strs(out)
        if not out:
            del op.properties["decorators"]


def lower_flow(module: builtin.ModuleOp, framework: str) -> None:
    """The rewrites of this module, then the mode switches of each source framework the file
    imports (``passes/module_modes.py``)."""
    unwrap_contexts(module, framework)
    imports = _imports(module)  # rewriting decorators leaves the imports as they are
    lower_decorators(module, framework, imports)
    own = chain(framework)
    for source in sorted({fwk for fwk, _ in imports.values()} - set(own)):
        module_modes.lower_modes(module, source, framework)
