"""Which standard arguments a mapping may leave out of the target's call.

A variant names two kinds of argument its target's call does not take:

- ``inferred_args``: the target infers the value from its input (Keras ``Dense`` infers
  ``in_features``); dropped whatever the value.
- ``drop_args``: an option the target lacks. One with a spec default may go only while it
  holds the value the target computes with (the variant's ``defaults``, else the spec's). One
  without a spec default carries information, so it may go only while it holds the variant's
  ``defaults`` value (Keras ``truncated_normal`` truncates at two standard deviations: lower
  -2, upper 2) or where something else reads it: ``derived_args``, a ``dispatch_rules`` test, a
  ``compose`` expression, or a plugin that checks it (:data:`PLUGIN_READS`). Otherwise
  the call cannot be lowered.

Both ``lower-hub-to-fw`` and the verifier's call plans decide with :func:`dropped_unread`.
"""

from __future__ import annotations

from switcheroo.ontology import compose
from switcheroo.ontology.odl import OpSpec, StdArg, Variant
from switcheroo.passes.layer_build import derived_reads

# Plugins that read a dropped standard argument before the call is built (see
# ``passes/layer_plugins.py``): ``global_pool`` refuses an ``output_size`` other than 1.
PLUGIN_READS: dict[str, tuple[str, ...]] = {"global_pool": ("output_size",)}


def consumed(variant: Variant) -> set[str]:
    """Standard arguments something other than the target's call reads."""
    reads = derived_reads(variant) | {r.if_arg for r in variant.dispatch_rules}
    for text in [variant.compose, *(r.use_compose for r in variant.dispatch_rules)]:
        if text is not None:
            reads.update(name.id for name, _ in compose.walk_names(compose.parse(text)))
    for plugin in variant.requires_plugin:
        reads.update(PLUGIN_READS.get(plugin, ()))
    return reads


def dropped_unread(spec: OpSpec, variant: Variant, given: set[str]) -> str | None:
    """The first given argument of ``drop_args`` that has no default (the spec's or the
    variant's) and nothing reads: dropping it would lose its value."""
    reads = consumed(variant)
    for n in variant.drop_args:
        arg = spec.arg(n)
        if n in given and arg is not None and not has_implicit(arg, variant) and n not in reads:
            return n
    return None


def has_implicit(arg: StdArg, variant: Variant) -> bool:
    """Whether the target computes with a known value of ``arg`` when the call leaves it out:
    the variant's ``defaults``, else the spec's default."""
    return arg.has_default or arg.name in variant.defaults
