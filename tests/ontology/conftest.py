"""Shared fixtures for the ontology tests."""

from __future__ import annotations

import pytest
from switcheroo.ontology.loader import build_ontology, data_files


@pytest.fixture(scope="session")
def onto():
    """The whole ontology, built from the data files (no cache)."""
    return build_ontology(data_files())
