"""The verifier over the real ontology: its ODL-marked known failures, and (slow) the whole run."""

from __future__ import annotations

import pytest
from switcheroo.ontology.loader import build_ontology, data_files
from switcheroo.ontology.verify.runner import (
    VerifyOptions,
    odl_known_failures,
    select_ops,
    verify_ontology,
)


def test_known_failures_in_the_odl_say_why():
    onto = build_ontology(data_files())
    known = odl_known_failures(onto)
    assert known, "the ODL marks accepted differences with verify_known"
    for (op, fw), reason in known.items():
        assert len(reason) > 20, f"{op}/{fw}: say why the failure is acceptable"


@pytest.mark.slow
def test_whole_ontology_has_a_verdict_for_every_pair():
    pytest.importorskip("torch")
    pytest.importorskip("jax")
    opts = VerifyOptions(workers=2)
    report = verify_ontology(opts)
    onto = build_ontology(opts.files)
    expected = {
        (op, fw)
        for op in select_ops(onto, "*", opts.frameworks)
        for fw in onto.specs[op].variants
        if fw in opts.frameworks
    }
    got = {(op, fw) for op, fws in report["ops"].items() for fw in fws}
    assert got == expected  # every mapped (op, framework) pair has a verdict
    assert report["summary"]["verifier_errors"] == 0  # wall time: benchmarks/verify_all.py
    for fws in report["ops"].values():
        for res in fws.values():
            assert res["status"] in ("verified", "failed", "skipped") and (
                res["status"] == "verified" or res["reason"]
            )
