// RUN: swc-opt %s -p 'convert-init-loops{source=torch framework=flax_nnx}' | filecheck %s

// torch's init loop over self.modules() at the hub level: the walk, the class test, the
// parameter name and the fill become flax_nnx's; kaiming_normal_(fan_out, relu) is
// variance_scaling(2.0, fan_out, normal) drawn with the constructor's params stream.
"pysrc.module"() ({
  "pysrc.opaque"() <{loc = "1:1", code = "from torch import nn", kind = "import"}> : () -> ()
  %0 = "hub.Module"() <{arg_names = [], src_framework = "torch", src_api = "torch.nn.Module", loc = "4:11"}> : () -> !pysrc.obj
  "pysrc.class"(%0) <{sym_name = "Net", loc = "4:1", leading = "[\22\22, \22\22]"}> ({
    "pysrc.func"() <{sym_name = "__init__", params = ["self"], param_names = ["self"], loc = "5:5"}> ({
      %1 = "pysrc.name"() <{id = "super"}> : () -> !pysrc.obj
      %2 = "pysrc.call"(%1) <{arg_names = []}> : (!pysrc.obj) -> !pysrc.obj
      %3 = "pysrc.attr"(%2) <{attr = "__init__"}> : (!pysrc.obj) -> !pysrc.obj
      %4 = "pysrc.call"(%3) <{arg_names = []}> : (!pysrc.obj) -> !pysrc.obj
      "pysrc.expr"(%4) <{loc = "6:9"}> : (!pysrc.obj) -> ()
      %5 = "pysrc.const"() <{code = "3"}> : () -> !pysrc.obj
      %6 = "pysrc.const"() <{code = "8"}> : () -> !pysrc.obj
      %7 = "pysrc.const"() <{code = "3"}> : () -> !pysrc.obj
      %8 = "hub.Conv2d"(%5, %6, %7) <{arg_names = ["in_channels", "out_channels", "kernel_size"], src_framework = "torch", src_api = "torch.nn.Conv2d", loc = "7:21"}> : (!pysrc.obj, !pysrc.obj, !pysrc.obj) -> !pysrc.layer
      "pysrc.assign"(%8) <{loc = "7:9", target = "self.conv"}> : (!pysrc.layer) -> ()
      %9 = "pysrc.name"() <{id = "self"}> : () -> !pysrc.obj
      %10 = "pysrc.attr"(%9) <{attr = "modules"}> : (!pysrc.obj) -> !pysrc.obj
      %11 = "pysrc.call"(%10) <{arg_names = []}> : (!pysrc.obj) -> !pysrc.obj
      "pysrc.for"(%11) <{target = "m"}> ({
        %12 = "pysrc.name"() <{id = "isinstance"}> : () -> !pysrc.obj
        %13 = "pysrc.name"() <{id = "m"}> : () -> !pysrc.obj
        %14 = "fw.ref"() <{framework = "torch", api = "torch.nn.Conv2d", loc = "9:30", unmapped = "torch.nn.Conv2d: a layer class used as a value (a type test or a factory) is not converted"}> : () -> !pysrc.obj
        %15 = "pysrc.call"(%12, %13, %14) <{arg_names = ["", ""]}> : (!pysrc.obj, !pysrc.obj, !pysrc.obj) -> !pysrc.obj
        "pysrc.if"(%15) <{loc = "9:13"}> ({
          %16 = "pysrc.name"() <{id = "m"}> : () -> !pysrc.obj
          %17 = "pysrc.attr"(%16) <{attr = "weight"}> : (!pysrc.obj) -> !pysrc.obj
          %18 = "pysrc.const"() <{code = "\22fan_out\22"}> : () -> !pysrc.obj
          %19 = "pysrc.const"() <{code = "\22relu\22"}> : () -> !pysrc.obj
          %20 = "hub.kaiming_normal"(%17, %18, %19) <{arg_names = ["tensor", "mode", "nonlinearity"], src_framework = "torch", src_api = "torch.nn.init.kaiming_normal_", loc = "10:17"}> : (!pysrc.obj, !pysrc.obj, !pysrc.obj) -> !pysrc.obj
          "pysrc.expr"(%20) <{loc = "10:17"}> : (!pysrc.obj) -> ()
        }, {
        }) : (!pysrc.obj) -> ()
      }) : (!pysrc.obj) -> ()
    }) : () -> ()
  }) : (!pysrc.obj) -> ()
}) : () -> ()

// CHECK:      %[[SELF:.*]] = "pysrc.name"() <{id = "self"}>
// CHECK-NEXT: %[[WALK:.*]] = "fw.call"(%[[SELF]]) <{framework = "flax_nnx", api = "flax.nnx.iter_modules", arg_names = [""]}>
// CHECK-NEXT: "pysrc.for"(%[[WALK]]) <{target = "_, m"}>
// CHECK:      "fw.ref"() <{framework = "flax_nnx", api = "flax.nnx.Conv", loc = "9:30"}>
// CHECK:      %[[SCALE:.*]] = "pysrc.const"() <{code = "2.0"}>
// CHECK-NEXT: %[[MODE:.*]] = "pysrc.const"() <{code = "\22fan_out\22"}>
// CHECK-NEXT: %[[DIST:.*]] = "pysrc.const"() <{code = "\22normal\22"}>
// CHECK-NEXT: %[[INIT:.*]] = "hub.variance_scaling"(%[[SCALE]], %[[MODE]], %[[DIST]]) <{arg_names = ["scale", "mode", "distribution"]
// CHECK:      %[[R:.*]] = "pysrc.name"() <{id = "rngs"}>
// CHECK-NEXT: %[[P:.*]] = "pysrc.attr"(%[[R]]) <{attr = "params"}>
// CHECK-NEXT: %[[KEY:.*]] = "pysrc.call"(%[[P]]) <{arg_names = []}>
// CHECK:      "pysrc.attr"(%{{.*}}) <{attr = "kernel"}>
// CHECK:      %[[V:.*]] = "pysrc.call"(%[[INIT]], %[[KEY]], %{{.*}}, %{{.*}}) <{arg_names = ["", "", ""]}>
// CHECK-NEXT: "pysrc.assign"(%[[V]]) <{target = "m.kernel[...]", loc = "10:17"}>
// CHECK-NOT:  torch
