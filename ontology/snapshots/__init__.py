"""Ghost snapshots: the public API signatures of each framework, stored as compact JSON.

``swc ontology snapshot FRAMEWORK`` writes ``<framework>.json`` here by introspecting the
installed package, so the converter and the checker know every API's parameters with no
framework installed. One file per framework key::

    {"framework": "torch", "format": 1, "versions": {"torch": "2.13.0"},
     "apis": {"torch.add": ["f", [["input", "A"], ["alpha", "K", "1"]]], ...}}

Each API is ``[what, params]``: ``what`` is ``f`` (function), ``c`` (class; params of its
constructor), ``m`` (method, named ``Class.method``) or ``v`` (a value); ``params`` is
``null`` when the signature could not be read. A parameter is ``[name, kind]`` or
``[name, kind, default_repr]``, with kind ``P`` positional-only, ``A`` positional or
keyword, ``V`` ``*args``, ``K`` keyword-only, ``W`` ``**kwargs``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SNAPSHOT_DIR = Path(__file__).parent
FORMAT = 1
KINDS = {
    "P": "positional_only",
    "A": "positional_or_keyword",
    "V": "var_positional",
    "K": "keyword_only",
    "W": "var_keyword",
}


@dataclass(frozen=True)
class Param:
    """One parameter: its name, kind letter (see the module doc) and default's repr."""

    name: str
    kind: str
    default: str | None = None

    @property
    def has_default(self) -> bool:
        return self.default is not None or self.kind in "VW"

    @property
    def positional(self) -> bool:
        return self.kind in "PA"


@dataclass(frozen=True)
class Snapshot:
    """One framework's stored API table."""

    framework: str
    versions: dict[str, str]
    apis: dict[str, list]

    def kind(self, api: str) -> str | None:
        entry = self.apis.get(api)
        return entry[0] if entry else None

    def params(self, api: str) -> tuple[Param, ...] | None:
        entry = self.apis.get(api)
        if entry is None or entry[1] is None:
            return None
        return tuple(Param(*p) for p in entry[1])


def available() -> list[str]:
    """Framework keys that have a stored snapshot."""
    return sorted(p.stem for p in SNAPSHOT_DIR.glob("*.json"))


@cache
def load(framework: str) -> Snapshot | None:
    """The stored snapshot of ``framework``, or None when there is none."""
    path = SNAPSHOT_DIR / f"{framework}.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return Snapshot(data["framework"], data.get("versions", {}), data["apis"])


@cache
def _stored() -> tuple[str, ...]:
    """:func:`available`, listed once: converters ask :func:`find` per call site, and a
    directory listing per question cost more than the rest of the lookup."""
    return tuple(available())


def find(framework: str, api: str) -> Snapshot | None:
    """The snapshot holding ``api``: the framework's own first, then any other (an API's
    qualified name says which package it lives in, so flax_nnx code may call ``jax.*``)."""
    own = load(framework)
    if own is not None and api in own.apis:
        return own
    for other in _stored():
        snap = load(other)
        if snap is not None and api in snap.apis:
            return snap
    return None


def has_api(framework: str, api: str) -> bool:
    """Whether ``api`` is a public name in the stored snapshots."""
    return find(framework, api) is not None


@cache  # the snapshots are read once (``load``); converters ask per call site
def signature(framework: str, api: str) -> tuple[Param, ...] | None:
    """The parameters of ``api`` (a qualified name, ``torch.Tensor.sum`` for a method), or
    None when it is unknown or its signature could not be read."""
    snap = find(framework, api)
    return snap.params(api) if snap else None


def bind_positional(framework: str, api: str, n_positional: int) -> list[str] | None:
    """Names of the first ``n_positional`` positional arguments of a call to ``api``; None
    when the signature is unknown or takes them as ``*args`` (the caller keeps them as is).
    """
    params = signature(framework, api)
    if params is None:
        return None
    names = [p.name for p in params if p.positional]
    if n_positional > len(names):
        return None
    return names[:n_positional]
