"""Coverage numbers of the ontology, per framework: the table ``swc ontology check`` and
``swc matrix`` print.

A framework's effective mappings are its own variants plus those of the frameworks it
falls back to (``frameworks.yaml``: flax_nnx uses jax's functions, tensorflow keras's
layers), since the converter resolves them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from switcheroo.ontology.loader import Ontology
from switcheroo.ontology.odl import FRAMEWORK_KEYS, OpSpec

TARGETS = {
    "array_api_pct": (90.0, ("torch", "jax", "numpy", "mlx", "tensorflow", "keras")),
    "neural": (120, ("torch", "flax_nnx", "keras", "tensorflow")),
    "hub_ops_2plus": (600, None),
}


def category(spec: OpSpec) -> str:
    """``array-api``, ``numpy`` (NumPy-style extras), ``neural`` (ONNX and curated
    concepts) or the source of a spec another path owns (``stablehlo``, ``sass``)."""
    if spec.source.startswith("array-api"):
        return "array-api"
    if spec.source == "numpy":
        return "numpy"
    if spec.source.startswith("onnx") or spec.source == "curated":
        return "neural"
    return spec.source.split(":", 1)[0]


def effective(onto: Ontology, spec: OpSpec, fw: str) -> str | None:
    """Which framework's variant ``fw`` uses for ``spec`` (itself or a fallback), if any."""
    if fw in spec.variants:
        return fw
    traits = onto.traits.get(fw)
    for other in traits.fallback if traits else ():
        if other in spec.variants:
            return other
    return None


@dataclass
class Coverage:
    """Counts per framework and overall."""

    total_specs: int
    with_2plus: int
    per_fw: dict[str, dict[str, float]]
    by_category: dict[str, int]

    def failures(self) -> list[str]:
        """Targets of issue 2 that are not met."""
        out = []
        goal, fws = TARGETS["array_api_pct"]
        for fw in fws:
            if self.per_fw[fw]["array_api_pct"] < goal:
                out.append(f"{fw}: Array API {self.per_fw[fw]['array_api_pct']:.1f}% < {goal}%")
        goal, fws = TARGETS["neural"]
        for fw in fws:
            if self.per_fw[fw]["neural"] < goal:
                out.append(f"{fw}: {int(self.per_fw[fw]['neural'])} neural/ONNX ops < {goal}")
        if self.with_2plus < TARGETS["hub_ops_2plus"][0]:
            out.append(
                f"{self.with_2plus} hub ops with 2+ mappings < {TARGETS['hub_ops_2plus'][0]}"
            )
        return out


def compute(onto: Ontology) -> Coverage:
    """Coverage of a loaded ontology."""
    specs = list(onto.specs.values())
    by_cat: dict[str, int] = {}
    for s in specs:
        by_cat[category(s)] = by_cat.get(category(s), 0) + 1
    per_fw: dict[str, dict[str, float]] = {}
    for fw in FRAMEWORK_KEYS:
        own = sum(1 for s in specs if fw in s.variants)
        eff = [s for s in specs if effective(onto, s, fw)]
        arr = [s for s in eff if category(s) == "array-api"]
        per_fw[fw] = {
            "own": own,
            "effective": len(eff),
            "array_api": len(arr),
            "array_api_pct": 100.0 * len(arr) / max(1, by_cat.get("array-api", 0)),
            "neural": sum(1 for s in eff if category(s) == "neural"),
            "numpy": sum(1 for s in eff if category(s) == "numpy"),
        }
    with_2 = sum(1 for s in specs if len(s.variants) >= 2)
    return Coverage(len(specs), with_2, per_fw, by_cat)


def table_rows(cov: Coverage) -> list[list[str]]:
    """Header and one row per framework, as strings."""
    rows = [
        ["framework", "own", "effective", "Array API", "Array API %", "neural/ONNX", "NumPy extras"]
    ]
    for fw, c in cov.per_fw.items():
        rows.append(
            [
                fw,
                str(int(c["own"])),
                str(int(c["effective"])),
                str(int(c["array_api"])),
                f"{c['array_api_pct']:.1f}",
                str(int(c["neural"])),
                str(int(c["numpy"])),
            ]
        )
    return rows
