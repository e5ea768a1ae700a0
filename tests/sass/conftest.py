"""The default run of tests/sass skips the exhaustive all-listings cases (marked
``slow``); ``pytest -m slow tests/sass`` (or any ``-m`` naming slow) runs them."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items):
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="exhaustive case: run with -m slow")
    for item in items:
        if "slow" in item.keywords and "tests/sass/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(skip)
