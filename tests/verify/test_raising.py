"""The raising-direction audit: a framework API called with its own defaults computes the
hub op it raises to (``ontology/verify/raising.py``)."""

from __future__ import annotations

import pytest
from switcheroo.ontology.verify.raising import audit

# Ops whose framework defaults differ from NumPy's (the variants say them in ``defaults``):
# torch's std/var divide by n - 1; TensorFlow's argmax/argmin/cumsum/cumprod without an axis
# work along axis 0; plus a few that agree, as a control.
DEFAULTS = ["std", "var", "argmax", "argmin", "cumsum", "cumprod", "median", "quantile", "mean", "sum", "logsumexp"]


def test_framework_defaults_are_filled_in_when_raised():
    findings = audit(operations=DEFAULTS)
    if not findings:
        pytest.skip("no framework besides NumPy installed")
    assert [str(f) for f in findings if f.status == "mismatch"] == []
    assert any(f.status == "ok" for f in findings)


@pytest.mark.slow
def test_no_one_tensor_api_is_raised_to_another_meaning():
    findings = audit()
    assert [str(f) for f in findings if f.status == "mismatch"] == []
