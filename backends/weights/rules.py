"""The weight rules: typed models of ``ontology/weight_rules/*.yaml`` and their loader.

``hub.yaml`` names each layer spec's hub parameters; one file per framework says, per
spec, which classes spell it and how each of the framework's parameters is computed from
hub parameters (``hub`` names, an optional ``combine``, an optional ``chunk``, then
exact layout ``ops``). The reverse direction is derived, never written twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from switcheroo.backends.weights.ops import COMBINE, LAYOUT_OPS

RULES_DIR = Path(__file__).resolve().parents[2] / "ontology" / "weight_rules"


class WeightRuleError(Exception):
    """Invalid weight rule data: ``file: field: message``."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ParamRule(_Strict):
    """How one framework parameter is computed from hub parameters."""

    hub: tuple[str, ...]
    combine: str | None = None
    chunk: tuple[int, int, int] | None = None
    ops: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    @field_validator("hub", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("combine")
    @classmethod
    def _known_combine(cls, v: str | None) -> str | None:
        if v is not None and v not in COMBINE:
            raise ValueError(f"unknown combine {v!r}; expected one of {sorted(COMBINE)}")
        return v

    @field_validator("ops", mode="before")
    @classmethod
    def _parse_ops(cls, v: Any) -> Any:
        out = []
        for item in v or []:
            if not isinstance(item, dict) or len(item) != 1:
                raise ValueError(f"an op is a one-key mapping like {{transpose: [1, 0]}}: {item!r}")
            ((name, args),) = item.items()
            if name not in LAYOUT_OPS:
                raise ValueError(f"unknown op {name!r}; expected one of {sorted(LAYOUT_OPS)}")
            out.append((name, tuple(args) if isinstance(args, list) else (args,)))
        return out

    @model_validator(mode="after")
    def _combine_needed(self) -> ParamRule:
        if len(self.hub) > 1 and self.combine is None:
            raise ValueError("several hub parameters need a combine")
        return self


class When(_Strict):
    """Picks a form by the rank of one of its parameters (nnx.Conv serves 1-D to 3-D),
    or, without ``ndim``, by the parameter being there at all (torch attention with
    packed or separate q/k/v projections)."""

    param: str
    ndim: int | None = None


class Stack(_Strict):
    """One class holding several stacked and/or bidirectional layers of a spec (torch
    ``LSTM(num_layers=2, bidirectional=True)``): each (layer, direction) is a hub layer
    of its own, below the class's path at ``<layer>`` (when ``layers`` > 1) and then
    ``forward``/``backward`` (when bidirectional). Its parameter names are the form's
    with ``from_`` replaced by ``to`` (formatted with ``layer`` and ``reverse``)."""

    layers: str  # attribute giving the number of layers
    bidirectional: str  # attribute saying whether there is a backward direction
    from_: str = Field(alias="from")
    to: str
    reverse: str  # the ``reverse`` text of the backward direction

    def name(self, param: str, layer: int, backward: bool) -> str:
        """The class's own name of hub layer (layer, direction)'s ``param``."""
        new = self.to.format(layer=layer, reverse=self.reverse if backward else "")
        return param.replace(self.from_, new)


class ConfigRule(_Strict):
    """A hyper-parameter copied between live layers, e.g. BatchNorm momentum."""

    hub: str
    op: Literal["identity", "one_minus"] = "identity"


class LayerForm(_Strict):
    """One way a framework spells a layer spec: its classes and parameters."""

    classes: tuple[str, ...]
    when: When | None = None
    params: dict[str, ParamRule]
    drop: tuple[str, ...] = ()
    attrs: dict[str, str] = Field(default_factory=dict)
    config: dict[str, ConfigRule] = Field(default_factory=dict)
    stack: Stack | None = None

    @field_validator("params", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return {k: {"hub": p} if isinstance(p, str) else p for k, p in (v or {}).items()}


class Container(_Strict):
    """A class whose children carry no weights of their own; ``attr`` is the attribute
    holding them, a path segment other frameworks do not have."""

    class_: str = Field(alias="class")
    attr: str | None = None
    # The hub's name for the container kind, so a checkpoint's keys can gain or lose
    # ``attr`` without a destination model; ``wraps`` inserts ``attr`` above those specs.
    hub: str | None = None
    wraps: tuple[str, ...] = ()
    # Children named differently from the hub (nnx.Bidirectional.forward_rnn: forward).
    names: dict[str, str] = Field(default_factory=dict)
    # Children named by their position in the hub (torch's Sequential names its members
    # "conv0", ... when built from an OrderedDict; other frameworks' Sequential by index).
    positional: bool = False


class WeightNormRule(_Strict):
    """Weight normalisation parameters folded into a plain weight when read, and split
    from one when written (g = ||weight|| over all axes but ``dim``, v = weight). ``into``
    may name ``v`` itself (flax's WeightNorm keeps v as the wrapped layer's kernel)."""

    g: str
    v: str
    into: str
    dim: int = 0
    keepdims: bool = True  # g keeps the reduced axes as ones (torch's [out, 1])


class FrameworkRules(_Strict):
    framework: str
    same_as: str | None = None
    containers: tuple[Container, ...] = ()
    weight_norm: tuple[WeightNormRule, ...] = ()
    layers: dict[str, tuple[LayerForm, ...]] = Field(default_factory=dict)


class HubFile(_Strict):
    hub: dict[str, dict[str, str]]
    # Container kinds that a framework must spell with a class of its own.
    required_containers: tuple[str, ...] = ()


@dataclass(frozen=True)
class WeightRules:
    """All weight rules: hub parameter sets and per-framework forms."""

    hub: dict[str, dict[str, str]]
    frameworks: dict[str, FrameworkRules]
    required_containers: tuple[str, ...] = ()

    def framework(self, name: str) -> FrameworkRules:
        """The rules of ``name``, following ``same_as``."""
        rules = self.frameworks.get(name)
        if rules is None:
            raise WeightRuleError(
                f"no weight rules for framework {name!r}; have {sorted(self.frameworks)}"
            )
        return self.framework(rules.same_as) if rules.same_as else rules


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise WeightRuleError(f"{path.name}: yaml: {e}") from None


def _check(fw: FrameworkRules, hub: dict[str, dict[str, str]], name: str) -> None:
    for spec, forms in fw.layers.items():
        if spec not in hub:
            raise WeightRuleError(f"{name}: layers.{spec}: not in hub.yaml")
        for form in forms:
            for pname, rule in form.params.items():
                for h in rule.hub:
                    if h not in hub[spec]:
                        raise WeightRuleError(
                            f"{name}: layers.{spec}.params.{pname}: hub parameter {h!r} is "
                            f"not one of {sorted(hub[spec])}"
                        )


def build_rules(rules_dir: Path = RULES_DIR) -> WeightRules:
    """Validate and load every rule file under ``rules_dir``."""
    hub_path = rules_dir / "hub.yaml"
    try:
        hub_file = HubFile.model_validate(_load_yaml(hub_path))
        hub = hub_file.hub
    except ValidationError as e:
        raise WeightRuleError(f"hub.yaml: {_first(e)}") from None
    frameworks: dict[str, FrameworkRules] = {}
    for path in sorted(rules_dir.glob("*.yaml")):
        if path == hub_path:
            continue
        try:
            fw = FrameworkRules.model_validate(_load_yaml(path))
        except ValidationError as e:
            raise WeightRuleError(f"{path.name}: {_first(e)}") from None
        _check(fw, hub, path.name)
        frameworks[fw.framework] = fw
    for fw in frameworks.values():
        if fw.same_as and fw.same_as not in frameworks:
            raise WeightRuleError(f"{fw.framework}.yaml: same_as: unknown {fw.same_as!r}")
    return WeightRules(hub, frameworks, hub_file.required_containers)


def _first(err: ValidationError) -> str:
    first = err.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


@lru_cache(maxsize=1)
def load_rules() -> WeightRules:
    """The packaged weight rules (cached)."""
    return build_rules()
