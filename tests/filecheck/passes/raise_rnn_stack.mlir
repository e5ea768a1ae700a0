// RUN: swc-opt %s -p 'raise-fw-to-hub{framework=flax_nnx}' | filecheck %s

// nnx.Sequential of two nnx.Bidirectional pairs of nnx.RNN(nnx.LSTMCell(...)), the second
// layer reading both directions (16 = 2 * 8): one LSTM of 2 layers, both ways. A pair whose
// directions differ (hidden 8 and 4) stays its source API, marked with the reason.
"pysrc.module"() ({
  %1 = "pysrc.const"() <{code = "5"}> : () -> !pysrc.obj
  %2 = "pysrc.const"() <{code = "8"}> : () -> !pysrc.obj
  %3 = "pysrc.name"() <{id = "rngs"}> : () -> !pysrc.obj
  %4 = "fw.call"(%1, %2, %3) <{framework = "flax_nnx", api = "flax.nnx.LSTMCell", arg_names = ["", "", "rngs"]}> : (!pysrc.obj, !pysrc.obj, !pysrc.obj) -> !pysrc.layer
  %5 = "fw.call"(%4) <{framework = "flax_nnx", api = "flax.nnx.RNN", arg_names = [""]}> : (!pysrc.layer) -> !pysrc.layer
  %6 = "pysrc.const"() <{code = "5"}> : () -> !pysrc.obj
  %7 = "pysrc.const"() <{code = "8"}> : () -> !pysrc.obj
  %8 = "pysrc.name"() <{id = "rngs"}> : () -> !pysrc.obj
  %9 = "fw.call"(%6, %7, %8) <{framework = "flax_nnx", api = "flax.nnx.LSTMCell", arg_names = ["", "", "rngs"]}> : (!pysrc.obj, !pysrc.obj, !pysrc.obj) -> !pysrc.layer
  %10 = "fw.call"(%9) <{framework = "flax_nnx", api = "flax.nnx.RNN", arg_names = [""]}> : (!pysrc.layer) -> !pysrc.layer
  %11 = "fw.call"(%5, %10) <{framework = "flax_nnx", api = "flax.nnx.Bidirectional", arg_names = ["", ""]}> : (!pysrc.layer, !pysrc.layer) -> !pysrc.obj
  %12 = "pysrc.const"() <{code = "16"}> : () -> !pysrc.obj
  %13 = "pysrc.const"() <{code = "8"}> : () -> !pysrc.obj
  %14 = "pysrc.name"() <{id = "rngs"}> : () -> !pysrc.obj
  %15 = "fw.call"(%12, %13, %14) <{framework = "flax_nnx", api = "flax.nnx.LSTMCell", arg_names = ["", "", "rngs"]}> : (!pysrc.obj, !pysrc.obj, !pysrc.obj) -> !pysrc.layer
  %16 = "fw.call"(%15) <{framework = "flax_nnx", api = "flax.nnx.RNN", arg_names = [""]}> : (!pysrc.layer) -> !pysrc.layer
  %17 = "pysrc.const"() <{code = "16"}> : () -> !pysrc.obj
  %18 = "pysrc.const"() <{code = "8"}> : () -> !pysrc.obj
  %19 = "pysrc.name"() <{id = "rngs"}> : () -> !pysrc.obj
  %20 = "fw.call"(%17, %18, %19) <{framework = "flax_nnx", api = "flax.nnx.LSTMCell", arg_names = ["", "", "rngs"]}> : (!pysrc.obj, !pysrc.obj, !pysrc.obj) -> !pysrc.layer
  %21 = "fw.call"(%20) <{framework = "flax_nnx", api = "flax.nnx.RNN", arg_names = [""]}> : (!pysrc.layer) -> !pysrc.layer
  %22 = "fw.call"(%16, %21) <{framework = "flax_nnx", api = "flax.nnx.Bidirectional", arg_names = ["", ""]}> : (!pysrc.layer, !pysrc.layer) -> !pysrc.obj
  %23 = "fw.call"(%11, %22) <{framework = "flax_nnx", api = "flax.nnx.Sequential", arg_names = ["", ""]}> : (!pysrc.obj, !pysrc.obj) -> !pysrc.layer
  "pysrc.expr"(%23) <{loc = "6:9"}> : (!pysrc.layer) -> ()
  %24 = "pysrc.const"() <{code = "5"}> : () -> !pysrc.obj
  %25 = "pysrc.const"() <{code = "8"}> : () -> !pysrc.obj
  %26 = "pysrc.name"() <{id = "rngs"}> : () -> !pysrc.obj
  %27 = "fw.call"(%24, %25, %26) <{framework = "flax_nnx", api = "flax.nnx.LSTMCell", arg_names = ["", "", "rngs"]}> : (!pysrc.obj, !pysrc.obj, !pysrc.obj) -> !pysrc.layer
  %28 = "fw.call"(%27) <{framework = "flax_nnx", api = "flax.nnx.RNN", arg_names = [""]}> : (!pysrc.layer) -> !pysrc.layer
  %29 = "pysrc.const"() <{code = "5"}> : () -> !pysrc.obj
  %30 = "pysrc.const"() <{code = "4"}> : () -> !pysrc.obj
  %31 = "pysrc.name"() <{id = "rngs"}> : () -> !pysrc.obj
  %32 = "fw.call"(%29, %30, %31) <{framework = "flax_nnx", api = "flax.nnx.LSTMCell", arg_names = ["", "", "rngs"]}> : (!pysrc.obj, !pysrc.obj, !pysrc.obj) -> !pysrc.layer
  %33 = "fw.call"(%32) <{framework = "flax_nnx", api = "flax.nnx.RNN", arg_names = [""]}> : (!pysrc.layer) -> !pysrc.layer
  %34 = "fw.call"(%28, %33) <{framework = "flax_nnx", api = "flax.nnx.Bidirectional", arg_names = ["", ""]}> : (!pysrc.layer, !pysrc.layer) -> !pysrc.obj
  "pysrc.expr"(%34) <{loc = "10:9"}> : (!pysrc.obj) -> ()
}) : () -> ()

// CHECK-NOT:  "flax.nnx.Sequential"
// CHECK:      %[[N:.*]] = "pysrc.const"() <{code = "2"}>
// CHECK-NEXT: %[[LSTM:.*]] = "hub.LSTM"(%{{.*}}, %{{.*}}, %[[N]], %{{.*}}, %{{.*}}) <{arg_names = ["input_size", "hidden_size", "num_layers", "batch_first", "bidirectional"], src_framework = "flax_nnx", src_api = "flax.nnx.RNN"}>
// CHECK-NEXT: "pysrc.expr"(%[[LSTM]])
// CHECK:      "fw.call"(%{{.*}}, %{{.*}}) <{framework = "flax_nnx", api = "flax.nnx.Bidirectional", arg_names = ["", ""], unmapped = "flax.nnx.Bidirectional: its two directions are built with different arguments"}>
