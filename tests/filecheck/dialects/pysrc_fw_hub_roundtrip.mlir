// RUN: swc-opt %s | swc-opt | filecheck %s
// RUN: swc-opt %s --print-op-generic | swc-opt | filecheck %s

"pysrc.module"() <{path = "m.py"}> ({
  %0 = "fw.ref"() <{framework = "torch", api = "torch.nn.Module"}> : () -> !pysrc.obj
  "pysrc.class"(%0) <{sym_name = "M", leading = "[\"\", \"# a comment\"]"}> ({
    "pysrc.func"() <{sym_name = "forward", params = ["self", "x"], param_names = ["self", "x"]}> ({
      %1 = "pysrc.name"() <{id = "x"}> : () -> !pysrc.tensor
      %2 = "pysrc.const"() <{code = "1"}> : () -> !pysrc.obj
      %3 = "hub.sum"(%1, %2) <{arg_names = ["x", "axis"]}> : (!pysrc.tensor, !pysrc.obj) -> !pysrc.tensor
      %4 = "fw.call"(%3) <{framework = "jax", api = "jax.nn.relu", arg_names = [""]}> : (!pysrc.tensor) -> !pysrc.tensor
      "pysrc.return"(%4) : (!pysrc.tensor) -> ()
    }) : () -> ()
  }) : (!pysrc.obj) -> ()
}) : () -> ()

// CHECK:      "pysrc.module"() <{path = "m.py"}> ({
// CHECK-NEXT:   %0 = "fw.ref"() <{framework = "torch", api = "torch.nn.Module"}> : () -> !pysrc.obj
// CHECK-NEXT:   "pysrc.class"(%0) <{sym_name = "M", leading = "[\22\22, \22# a comment\22]"}> ({
// CHECK:          %{{.*}} = "hub.sum"(%{{.*}}, %{{.*}}) <{arg_names = ["x", "axis"]}> : (!pysrc.tensor, !pysrc.obj) -> !pysrc.tensor
// CHECK-NEXT:     %{{.*}} = "fw.call"(%{{.*}}) <{framework = "jax", api = "jax.nn.relu", arg_names = [""]}>
