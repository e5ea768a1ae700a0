"""Shared fixtures of the SASS tests: the real listings of ../shared/corpus/sass."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "sass"


def corpus_files(pattern: str) -> list[Path]:
    return sorted(CORPUS.glob(pattern)) if CORPUS.is_dir() else []


def need_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not present")


def listing_params(pattern: str = "*.sass"):
    files = corpus_files(pattern)
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason="shared corpus not present"))]
    return [pytest.param(f, id=f.name) for f in files]
