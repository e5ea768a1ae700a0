// RUN: swc-opt --disable-verify %s -p 'infer-layer-sizes{source=keras input-shapes="?x6"}' | filecheck %s
// RUN: swc-opt --disable-verify %s -p 'infer-layer-sizes{source=keras}' | filecheck %s --check-prefix=NOSHAPE

// Keras' Dense(16) then Dense(classes), neither naming its input size (so the input IR does
// not verify: --disable-verify). With the input's shape [?, 6], fc1 takes 6 and fc2 fc1's
// 16; without it fc2 still takes 16 (fc1 states it) and fc1 stays as it was.
"pysrc.module"() <{path = "mini.py"}> ({
  %0 = "hub.Module"() <{arg_names = [], src_framework = "keras", src_api = "keras.Model"}> : () -> !pysrc.obj
  "pysrc.class"(%0) <{sym_name = "MLP"}> ({
    "pysrc.func"() <{sym_name = "__init__", params = ["self", "classes"], param_names = ["self", "classes"]}> ({
      %1 = "pysrc.const"() <{code = "16"}> : () -> !pysrc.obj
      %2 = "hub.Linear"(%1) <{arg_names = ["out_features"], src_framework = "keras", src_api = "keras.layers.Dense"}> : (!pysrc.obj) -> !pysrc.layer
      "pysrc.assign"(%2) <{target = "self.fc1"}> : (!pysrc.layer) -> ()
      %3 = "pysrc.name"() <{id = "classes"}> : () -> !pysrc.obj
      %4 = "hub.Linear"(%3) <{arg_names = ["out_features"], src_framework = "keras", src_api = "keras.layers.Dense"}> : (!pysrc.obj) -> !pysrc.layer
      "pysrc.assign"(%4) <{target = "self.fc2"}> : (!pysrc.layer) -> ()
    }) : () -> ()
    "pysrc.func"() <{sym_name = "call", params = ["self", "x"], param_names = ["self", "x"]}> ({
      %5 = "pysrc.name"() <{id = "self"}> : () -> !pysrc.obj
      %6 = "pysrc.attr"(%5) <{attr = "fc2"}> : (!pysrc.obj) -> !pysrc.layer
      %7 = "pysrc.name"() <{id = "self"}> : () -> !pysrc.obj
      %8 = "pysrc.attr"(%7) <{attr = "fc1"}> : (!pysrc.obj) -> !pysrc.layer
      %9 = "pysrc.name"() <{id = "x"}> : () -> !pysrc.tensor
      %10 = "hub.apply"(%8, %9) <{layer = "Linear", arg_names = ["", ""]}> : (!pysrc.layer, !pysrc.tensor) -> !pysrc.tensor
      %11 = "hub.relu"(%10) <{arg_names = ["x"], src_framework = "keras", src_api = "keras.ops.relu"}> : (!pysrc.tensor) -> !pysrc.tensor
      %12 = "hub.apply"(%6, %11) <{layer = "Linear", arg_names = ["", ""]}> : (!pysrc.layer, !pysrc.tensor) -> !pysrc.tensor
      "pysrc.return"(%12) : (!pysrc.tensor) -> ()
    }) : () -> ()
  }) : (!pysrc.obj) -> ()
}) : () -> ()

// CHECK:      %[[IN:.*]] = "pysrc.const"() <{code = "6"}>
// CHECK-NEXT: "hub.Linear"(%[[IN]], %{{.*}}) <{arg_names = ["in_features", "out_features"]
// CHECK-SAME: {size_from_input}
// CHECK:      %[[HID:.*]] = "pysrc.const"() <{code = "16"}>
// CHECK-NEXT: "hub.Linear"(%[[HID]], %{{.*}}) <{arg_names = ["in_features", "out_features"]
// CHECK-NOT:  size_from_input

// NOSHAPE:      "hub.Linear"(%{{.*}}) <{arg_names = ["out_features"]
// NOSHAPE:      %[[HID:.*]] = "pysrc.const"() <{code = "16"}>
// NOSHAPE-NEXT: "hub.Linear"(%[[HID]], %{{.*}}) <{arg_names = ["in_features", "out_features"]
