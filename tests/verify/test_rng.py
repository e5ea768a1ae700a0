"""Random keys and generators are verified by their properties (``verify/rng.py``): a
mapping that builds a seeded generator passes, one that does not take the seed fails."""

from __future__ import annotations

import pytest
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import Variant
from switcheroo.ontology.verify import kinds
from switcheroo.ontology.verify.rng import verify_rng

pytest.importorskip("torch")


def _spec(op: str):
    return load_ontology().specs[op]


def test_rng_ops_have_the_property_checker():
    assert kinds.checker_for(_spec("rng_key")) is verify_rng
    assert kinds.checker_for(_spec("split_key")) is verify_rng


def test_a_seeded_torch_generator_is_verified():
    out = verify_rng(_spec("rng_key"), ["torch"], 1)
    assert out["torch"].status == "verified", out["torch"].reason


def test_a_generator_that_ignores_the_seed_fails():
    spec = _spec("rng_key")
    # torch.Generator's one argument is the device: the seed never reaches the generator.
    broken = spec.model_copy(update={"variants": {"torch": Variant(api="torch.Generator")}})
    out = verify_rng(broken, ["torch"], 1)
    assert out["torch"].status == "failed"


def test_split_key_makes_distinct_reproducible_keys():
    pytest.importorskip("jax")
    out = verify_rng(_spec("split_key"), ["jax"], 1)
    assert out["jax"].status == "verified", out["jax"].reason
