"""The registries: one sorted table per kind, each entry a lazy getter.

Nothing here imports a dialect, pass, frontend or target until it is asked for, so the
drivers start fast. The tables are exposed to xDSL through ``SWITCHEROO_UNIVERSE`` (entry
point group ``xdsl.universe``), so stock ``xdsl-opt`` sees our dialects and passes too.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xdsl.universe import Universe
    from xdsl.ir import Dialect
    from xdsl.passes import ModulePass
    from xdsl.utils.target import Target


def _lazy(module: str, attr: str) -> Callable[[], Any]:
    """A getter that imports ``switcheroo.<module>`` only when called."""

    def get() -> Any:
        return getattr(import_module(f"switcheroo.{module}"), attr)

    get.__qualname__ = f"lazy:{module}.{attr}"
    return get


# Dialect name -> getter of the xDSL Dialect.
DIALECTS: dict[str, Callable[[], Dialect]] = {
    "chlo": _lazy("dialects.chlo", "CHLO"),
    "fw": _lazy("dialects.fw", "FW"),
    "hub": _lazy("dialects.hub", "HUB"),
    "pysrc": _lazy("dialects.pysrc", "PYSRC"),
    "sass": _lazy("dialects.sass", "SASS"),
    "stablehlo": _lazy("dialects.stablehlo", "STABLEHLO"),
}

# Pass name -> getter of the ModulePass class. The name equals the pass file's name.
PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "adapt-layer-calls": _lazy("passes.adapt_layer_calls", "AdaptLayerCalls"),
    "bind-optimizer": _lazy("passes.bind_optimizer", "BindOptimizerPass"),
    "convert-factory-params": _lazy("passes.convert_factory_params", "ConvertFactoryParams"),
    "convert-init-loops": _lazy("passes.convert_init_loops", "ConvertInitLoops"),
    "convert-layouts": _lazy("passes.convert_layouts", "ConvertLayouts"),
    "convert-stablehlo-to-hub": _lazy("passes.convert_stablehlo_to_hub", "ConvertStablehloToHub"),
    "expand-loss-reduction": _lazy("passes.expand_loss_reduction", "ExpandLossReduction"),
    "explicit-dtypes": _lazy("passes.explicit_dtypes", "ExplicitDtypes"),
    "infer-layer-sizes": _lazy("passes.infer_layer_sizes", "InferLayerSizes"),
    "legalize-for-target": _lazy("passes.legalize_for_target", "LegalizeForTarget"),
    "lift-functional-model": _lazy("passes.lift_functional_model", "LiftFunctionalModel"),
    "lower-hub-to-fw": _lazy("passes.lower_hub_to_fw", "LowerHubToFw"),
    "lower-hub-to-stablehlo": _lazy("passes.lower_hub_to_stablehlo", "LowerHubToStablehlo"),
    "normalize-source": _lazy("passes.normalize_source", "NormalizeSource"),
    "raise-fw-to-hub": _lazy("passes.raise_fw_to_hub", "RaiseFwToHub"),
    "raise-train-step": _lazy("passes.raise_train_step", "RaiseTrainStep"),
    "rewrite-train-step": _lazy("passes.rewrite_train_step", "RewriteTrainStep"),
    "sass-build-cfg": _lazy("passes.sass_build_cfg", "SassBuildCfg"),
    "sass-fold-addressing": _lazy("passes.sass_fold_addressing", "SassFoldAddressing"),
    "sass-lift": _lazy("passes.sass_lift", "SassLift"),
    "sass-raise-idioms": _lazy("passes.sass_raise_idioms", "SassRaiseIdioms"),
    "sass-recover-loops": _lazy("passes.sass_recover_loops", "SassRecoverLoops"),
    "sass-recover-params": _lazy("passes.sass_recover_params", "SassRecoverParams"),
    "sass-recover-thread-ids": _lazy("passes.sass_recover_thread_ids", "SassRecoverThreadIds"),
    "scan-dependencies": _lazy("passes.scan_dependencies", "ScanDependencies"),
    "scan-leftovers": _lazy("passes.scan_leftovers", "ScanLeftovers"),
    "scan-purity": _lazy("passes.scan_purity", "ScanPurity"),
    "thread-module-state": _lazy("passes.thread_module_state", "ThreadModuleState"),
    "thread-rng": _lazy("passes.thread_rng", "ThreadRng"),
    "track-lifecycle": _lazy("passes.track_lifecycle", "TrackLifecycle"),
    "unroll-inplace": _lazy("passes.unroll_inplace", "UnrollInplace"),
}

# Frontend name -> getter of a callable ``(text, path) -> ModuleOp``.
FRONTENDS: dict[str, Callable[[], Callable[..., Any]]] = {
    "mlir": _lazy("frontends.mlir_text", "parse_mlir"),
    "python": _lazy("frontends.python.lower", "lower_python"),
    "sass": _lazy("frontends.sass.lower", "parse_sass"),
}

# Target name -> getter of the xDSL Target class.
TARGETS: dict[str, Callable[[], type[Target]]] = {
    "python": _lazy("backends.python.target", "PythonTarget"),
    "sass": _lazy("backends.sass.isa_emit", "SassIsaTarget"),
    "sass-python": _lazy("backends.sass.target", "SassPythonTarget"),
    "stablehlo": _lazy("backends.stablehlo.mlir_target", "StablehloTarget"),
    "stablehlo-python": _lazy("backends.stablehlo.target", "StablehloPythonTarget"),
}

# How swc-translate goes from one kind of input to another: (from, to) -> the frontend,
# the default pipeline ({src}/{dst} are the --from/--to keys) and the target. "framework"
# stands for any framework key.
TRANSLATIONS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("framework", "framework"): (
        "python",
        "lift-functional-model{{framework={src} target={dst}}},normalize-source{{source={src} target={dst}}},scan-dependencies,scan-purity{{source={src} framework={dst}}},track-lifecycle{{source={src}}},"
        "unroll-inplace{{source={src} framework={dst}}},convert-factory-params{{source={src} framework={dst}}},"
        "raise-fw-to-hub{{framework={src}}},infer-layer-sizes{{source={src} framework={dst}{sizes}}},raise-train-step{{source={src} framework={dst}}},"
        "expand-loss-reduction{{framework={dst}}},"
        "bind-optimizer{{framework={dst}}},rewrite-train-step{{framework={dst} source={src}}},"
        "legalize-for-target{{framework={dst}}},convert-layouts{{framework={dst}{layout}}},adapt-layer-calls{{source={src} framework={dst}}},"
        "convert-init-loops{{source={src} framework={dst}}},explicit-dtypes{{source={src} framework={dst}}},"
        "lower-hub-to-fw{{framework={dst}}},thread-rng{{source={src} framework={dst}}},"
        "thread-module-state{{source={src} framework={dst}}},"
        "scan-leftovers{{source={src} framework={dst}}}",
        "python",
    ),
    ("framework", "stablehlo"): (
        "python",
        "raise-fw-to-hub{{framework={src}}},"
        "lower-hub-to-stablehlo{{framework={src}{input_shapes}}}",
        "stablehlo",
    ),
    ("sass", "framework"): ("sass", "sass-lift,sass-recover-loops,sass-raise-idioms",
                            "sass-python"),
    ("sass", "sass"): ("sass", "sass-lift", "sass"),
    ("stablehlo", "framework"): ("mlir", "convert-stablehlo-to-hub", "stablehlo-python"),
}

# Framework keys and the other formats the drivers accept.
FRAMEWORKS = ("torch", "jax", "flax_nnx", "keras", "tensorflow", "mlx", "numpy", "paxml")
FORMATS = ("stablehlo", "mlir", "sass", "rdna", "tikz", "html")


def __getattr__(attr: str) -> Universe:
    # Built on first access (the entry point reads it), so importing the tables stays cheap.
    if attr == "SWITCHEROO_UNIVERSE":
        from xdsl.universe import Universe

        return Universe(
            all_dialects=DIALECTS,
            all_passes=PASSES,
            all_targets={f"swc-{k}": v for k, v in TARGETS.items()},
        )
    raise AttributeError(attr)


def translation(src: str, dst: str, input_shapes: str = "", function: str = "",
                layout: str = "source") -> tuple[str, str, str] | None:
    """The (frontend, pipeline, target) for ``--from src --to dst``, or None.
    ``input_shapes`` (``8x16`` or ``8x16,8x4``) feeds pipelines that need static shapes;
    ``function`` names the module-level function to lower (plain JAX code); ``layout``
    ``native`` makes a converted model take and return the target's own layout."""
    kind = {k: "framework" for k in FRAMEWORKS}
    for key in ((src, dst), (kind.get(src, src), dst), (src, kind.get(dst, dst)),
                (kind.get(src, src), kind.get(dst, dst))):
        if key in TRANSLATIONS:
            front, pipeline, target = TRANSLATIONS[key]
            # quoted, so a rank-1 shape ("32") stays a string for the pass option
            quoted = ",".join(f'"{s}"' for s in input_shapes.split(",") if s)
            shapes = f" input-shapes={quoted}" if quoted else ""
            shapes += f' function="{function}"' if function else ""
            native = " layout=native" if layout == "native" else ""
            sizes = f" input-shapes={quoted}" if quoted else ""
            return front, pipeline.format(src=src, dst=dst, input_shapes=shapes, sizes=sizes, layout=native), target
    return None
