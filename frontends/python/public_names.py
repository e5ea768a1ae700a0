"""Private module paths read as their public names (``keras.src.layers.Conv2D`` ->
``keras.layers.Conv2D``), from the framework traits' ``module_aliases``.

Code inside a framework (``keras.applications``) imports its private modules; the ontology
maps the public API. A name is read as the public one only where the framework's snapshot
has it (an API, or a module some API lives in), so a private helper with no public
spelling (``keras.src.models.functional.Functional``) keeps its own name and still runs.
"""

from __future__ import annotations

from functools import cache

from switcheroo.ontology import snapshots
from switcheroo.ontology.loader import load_ontology


@cache
def _aliases(framework: str) -> tuple[tuple[str, str], ...]:
    traits = load_ontology().traits.get(framework)
    pairs = traits.module_aliases.items() if traits is not None else ()
    return tuple(sorted(pairs, key=lambda kv: -len(kv[0])))  # the longest private prefix first


@cache
def _public_modules(framework: str) -> frozenset[str]:
    snap = snapshots.load(framework)
    if snap is None:
        return frozenset()
    found: set[str] = set()
    for api in snap.apis:
        parts = api.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return frozenset(found)


@cache
def public_name(framework: str, qname: str) -> str:
    """``qname`` under its public module path where the snapshot knows that name, else itself."""
    for private, public in _aliases(framework):
        if qname == private or qname.startswith(private + "."):
            candidate = public + qname[len(private):]
            if snapshots.has_api(framework, candidate) or candidate in _public_modules(framework):
                return candidate
            return qname
    return qname
