"""Every ODL feature is used by at least one real mapping or spec."""

from __future__ import annotations

from switcheroo.ontology.odl import OpSpec, OpType, StdArg, Variant


def _used(values, field: str, default) -> bool:
    return any(getattr(v, field) != default for v in values)


def test_every_variant_field_used(onto):
    variants = [v for s in onto.specs.values() for v in s.variants.values()]
    unused = [
        f
        for f, info in Variant.model_fields.items()
        # max_version: no mapping needs an upper bound today (its one user, torch's upsample,
        # was removed as wrong); the loader and the verifier still honour it.
        if f not in ("note", "max_version") and not _used(variants, f, info.get_default(call_default_factory=True))
    ]
    assert unused == []


def test_every_spec_and_arg_field_used(onto):
    # Only specs some framework maps count: a feature no mapping reaches is not in use.
    specs = [s for s in onto.specs.values() if s.variants]
    unused = [
        f
        for f, info in OpSpec.model_fields.items()
        if not _used(specs, f, info.get_default(call_default_factory=True))
    ]
    assert unused == []
    args = [a for s in specs for a in s.std_args]
    unused = [
        f
        for f, info in StdArg.model_fields.items()
        if not _used(args, f, info.get_default(call_default_factory=True))
    ]
    assert unused == []


def test_dispatch_ops_all_used(onto):
    ops = {
        r.op.value
        for s in onto.specs.values()
        for v in s.variants.values()
        for r in v.dispatch_rules
    }
    assert ops >= {"eq", "is_type"}


def test_dispatch_targets_all_used(onto):
    """A rule picks another API (``use_api``) or a composed spelling (``use_compose``)."""
    rules = [r for s in onto.specs.values() for v in s.variants.values() for r in v.dispatch_rules]
    assert any(r.use_api for r in rules) and any(r.use_compose for r in rules)


def test_import_forms_used(onto):
    forms = {
        type(i).__name__
        for s in onto.specs.values()
        for v in s.variants.values()
        for i in v.required_imports
    }
    assert forms == {"str", "ImportSpec"}


def test_every_op_type_mapped(onto):
    """function, context (``with torch.no_grad():``) and decorator (``@jax.jit``) each
    have a spec that two frameworks map."""
    mapped = {s.op_type for s in onto.specs.values() if len(s.variants) >= 2}
    assert mapped == set(OpType)


def test_both_verification_modes_used(onto):
    modes = {s.verification_mode for s in onto.specs.values() if s.variants}
    # the property modes for non-unique results (partition); the rest via verify's domains.yaml
    assert {"exact", "approx", "partition", "argpartition"} <= modes
