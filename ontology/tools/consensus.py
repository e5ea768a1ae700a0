"""``swc consensus``: propose hub specs from APIs that several frameworks share.

Clusters the public APIs of the ghost snapshots by a normalized name (lower case,
underscores and a trailing ``loss``/``layer`` dropped, so HuberLoss, huber_loss and
Huber meet), keeps clusters present in at least ``min_frameworks`` frameworks where no
member is mapped yet, aligns the parameter names most members share, and writes the
proposals to ``ontology/discovered/consensus.yaml`` for review. That file is outside
``data/``, so nothing it proposes is loaded until a person moves it there.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from switcheroo.ontology import snapshots
from switcheroo.ontology.loader import load_ontology
from switcheroo.ontology.tools.yaml_out import dump_ops, write_atomic

OUTPUT = Path(__file__).resolve().parents[1] / "discovered" / "consensus.yaml"
_SKIP_PARAMS = {"name", "out", "stream", "kwargs", "args", "dtype", "device", "self"}


def normalize(api: str) -> str:
    """``'keras.losses.HuberLoss'`` -> ``'huber'``; ``'torch.nn.functional.huber_loss'``
    -> ``'huber'``."""
    last = api.rsplit(".", 1)[-1].lower().replace("_", "")
    return re.sub(r"(loss|layer)$", "", last) or last


def clusters(min_frameworks: int = 3) -> dict[str, dict[str, str]]:
    """Normalized name -> {framework: one API} for unmapped concepts."""
    onto = load_ontology()
    mapped = {var.api for s in onto.specs.values() for var in s.variants.values()}
    mapped_keys = {normalize(a) for a in mapped} | {normalize(n) for n in onto.specs}
    by_key: dict[str, dict[str, str]] = defaultdict(dict)
    for fw in snapshots.available():
        snap = snapshots.load(fw)
        if snap is None:
            continue
        for api, (what, _params) in snap.apis.items():
            if what in ("f", "c") and not api.split(".")[-1].startswith("_"):
                by_key[normalize(api)].setdefault(fw, api)
    return {
        k: v
        for k, v in sorted(by_key.items())
        if len(v) >= min_frameworks and k not in mapped_keys and len(k) > 2
    }


def propose(key: str, members: dict[str, str]) -> dict[str, Any]:
    """A draft spec: parameters shared by most members, with the members in the note."""
    counts: Counter[str] = Counter()
    for fw, api in members.items():
        for p in snapshots.signature(fw, api) or ():
            if p.kind in "PAK" and p.name not in _SKIP_PARAMS:
                counts[p.name] += 1
    shared = [n for n, c in counts.most_common() if c >= 2][:8]
    return {
        "operation": key,
        "description": "PROPOSED by swc consensus from: "
        + ", ".join(f"{fw}={api}" for fw, api in sorted(members.items())),
        "source": "consensus",
        "std_args": [{"name": n} for n in shared],
    }


def run(output: Path | None = None, min_frameworks: int = 3) -> tuple[Path, int]:
    """Write the proposals; returns (path, count)."""
    output = output or OUTPUT
    found = clusters(min_frameworks)
    ops = [propose(k, v) for k, v in found.items()]
    write_atomic(
        output,
        dump_ops(
            ops,
            "Hub spec proposals from `swc consensus`, for review.\n"
            "Move reviewed entries into data/specs/ to adopt them.",
        ),
    )
    return output, len(ops)
