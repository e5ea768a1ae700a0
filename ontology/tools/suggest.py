"""``swc suggest PATTERN``: a prompt for a language model to draft new mappings.

Introspects the live signatures and docstrings of the APIs matching ``PATTERN`` (from
the ghost snapshot when the framework is not installed), drops those already mapped,
and prints the ODL schema, a worked example and the APIs. It only prints.
"""

from __future__ import annotations

import fnmatch
import importlib
import inspect
import json

from switcheroo.ontology import snapshots
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.odl import MappingFile, SpecFile

_EXAMPLE = """# specs/<file>.yaml
ops:
  - operation: leaky_relu
    description: x where x >= 0, alpha * x elsewhere.
    std_args:
      - {name: x, type: Tensor}
      - {name: alpha, type: float, default: 0.01}
# mappings/torch/<file>.yaml
framework: torch
mappings:
  leaky_relu: {api: torch.nn.functional.leaky_relu, args: {x: input, alpha: negative_slope}}"""


def _framework_of(api: str) -> str | None:
    onto = load_ontology()
    for fw, traits in onto.traits.items():
        if any(api == p or api.startswith(p + ".") for p in traits.source_prefixes):
            return fw
    return None


def _live_doc(api: str) -> tuple[str | None, str]:
    """(signature text, first docstring paragraph) of the live object, if importable."""
    module, _, attr = api.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None, ""
    try:
        sig = str(inspect.signature(obj))
    except (TypeError, ValueError):
        sig = None
    doc = (inspect.getdoc(obj) or "").strip().split("\n\n", 1)[0]
    return sig, " ".join(doc.split())[:400]


def candidates(pattern: str) -> list[str]:
    """Unmapped APIs matching ``pattern`` in the stored snapshots."""
    onto = load_ontology()
    mapped = {var.api for spec in onto.specs.values() for var in spec.variants.values()}
    out = []
    for fw in snapshots.available():
        snap = snapshots.load(fw)
        if snap is None:
            continue
        out += [
            a
            for a in snap.apis
            if fnmatch.fnmatchcase(a, pattern) and a not in mapped and snap.kind(a) in ("f", "c")
        ]
    return sorted(set(out))


def prompt(pattern: str, limit: int = 40) -> str:
    """The full prompt text."""
    apis = candidates(pattern)[:limit]
    if not apis:
        return f"# nothing to suggest: no unmapped API matches {pattern!r}"
    lines = [
        "You write ontology entries for switcheroo, a compiler between deep-learning frameworks.",
        "Each abstract operation is a hub spec (standard argument names as in the Python Array",
        "API: x, x1, x2, axis, keepdims); each framework maps it with a variant whose `args`",
        "renames standard names to the framework's. Reuse an existing spec when the concept",
        "exists. Answer with YAML only, in the two file kinds shown.",
        "",
        "## ODL schema (spec files)",
        json.dumps(SpecFile.model_json_schema(), separators=(",", ":")),
        "## ODL schema (mapping files)",
        json.dumps(MappingFile.model_json_schema(), separators=(",", ":")),
        "## Worked example",
        _EXAMPLE,
        "## APIs to map",
    ]
    for api in apis:
        fw = _framework_of(api) or "?"
        sig, doc = _live_doc(api)
        if sig is None:
            params = snapshots.signature(fw, api) or ()
            sig = (
                "("
                + ", ".join(p.name + ("=" + p.default if p.default else "") for p in params)
                + ")"
            )
        lines.append(f"- {api}{sig}  [{fw}]" + (f"\n    {doc}" if doc else ""))
    return "\n".join(lines)
