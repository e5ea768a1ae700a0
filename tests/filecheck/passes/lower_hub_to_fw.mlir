// RUN: swc-opt %s -p 'lower-hub-to-fw{framework=flax_nnx}' | filecheck %s

"pysrc.module"() ({
  %x = "pysrc.name"() <{id = "x"}> : () -> !pysrc.tensor
  %d = "pysrc.const"() <{code = "1"}> : () -> !pysrc.obj
  %k = "pysrc.const"() <{code = "False"}> : () -> !pysrc.obj
  // flax_nnx falls back to jax for array functions; keepdims=False is jnp's default.
  %s = "hub.sum"(%x, %d, %k) <{arg_names = ["x", "axis", "keepdims"]}> : (!pysrc.tensor, !pysrc.obj, !pysrc.obj) -> !pysrc.tensor
  "pysrc.expr"(%s) : (!pysrc.tensor) -> ()
  %n = "pysrc.const"() <{code = "8"}> : () -> !pysrc.obj
  // flax's LayerNorm epsilon default differs from the spec's: it is spelled out.
  %l = "hub.LayerNorm"(%n) <{arg_names = ["num_features"]}> : (!pysrc.obj) -> !pysrc.layer
  "pysrc.expr"(%l) : (!pysrc.layer) -> ()
}) : () -> ()

// CHECK:      %{{.*}} = "fw.call"(%x, %d) <{framework = "jax", api = "jax.numpy.sum", arg_names = ["", "axis"]}>
// CHECK:      %[[EPS:.*]] = "pysrc.const"() <{code = "1e-5"}>
// CHECK-NEXT: %[[R:.*]] = "pysrc.name"() <{id = "rngs"}>
// CHECK-NEXT: %{{.*}} = "fw.call"(%n, %[[EPS]], %[[R]]) <{framework = "flax_nnx", api = "flax.nnx.LayerNorm", arg_names = ["", "epsilon", "rngs"]}>
