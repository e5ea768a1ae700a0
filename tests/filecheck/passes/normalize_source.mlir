// RUN: swc-opt %s -p 'normalize-source{source=torch target=flax_nnx}' | filecheck %s

// torchvision densenet's idioms, rewritten in torch's own terms before raising:
// self.add_module in a ModuleDict subclass is an item assignment; a Sequential built from
// an OrderedDict and extended by add_module gathers its members in a list first; a
// F.dropout following self.training is a Dropout member built at the end of __init__.
"pysrc.module"() <{path = "model.py"}> ({
  "pysrc.opaque"() <{loc = "1:1", code = "from collections import OrderedDict", kind = "import"}> : () -> ()
  "pysrc.opaque"() <{loc = "3:1", leading = "[\22\22]", code = "import torch.nn.functional as F", kind = "import"}> : () -> ()
  "pysrc.opaque"() <{loc = "4:1", code = "from torch import nn", kind = "import"}> : () -> ()
  %0 = "fw.ref"() <{framework = "torch", api = "torch.nn.ModuleDict", loc = "7:13"}> : () -> !pysrc.obj
  "pysrc.class"(%0) <{sym_name = "Block", loc = "7:1", leading = "[\22\22, \22\22]"}> ({
    "pysrc.func"() <{sym_name = "__init__", params = ["self", "n: int"], param_names = ["self", "n"], loc = "8:5", returns = "None"}> ({
      %1 = "pysrc.name"() <{id = "super"}> : () -> !pysrc.obj
      %2 = "pysrc.call"(%1) <{arg_names = []}> : (!pysrc.obj) -> !pysrc.obj
      %3 = "pysrc.attr"(%2) <{attr = "__init__"}> : (!pysrc.obj) -> !pysrc.obj
      %4 = "pysrc.call"(%3) <{arg_names = []}> : (!pysrc.obj) -> !pysrc.obj
      "pysrc.expr"(%4) <{loc = "9:9"}> : (!pysrc.obj) -> ()
      %5 = "pysrc.name"() <{id = "range"}> : () -> !pysrc.obj
      %6 = "pysrc.name"() <{id = "n"}> : () -> !pysrc.obj
      %7 = "pysrc.call"(%5, %6) <{arg_names = [""]}> : (!pysrc.obj, !pysrc.obj) -> !pysrc.obj
      "pysrc.for"(%7) <{target = "i"}> ({
        %8 = "pysrc.name"() <{id = "self"}> : () -> !pysrc.obj
        %9 = "pysrc.attr"(%8) <{attr = "add_module"}> : (!pysrc.obj) -> !pysrc.obj
        %10 = "pysrc.const"() <{code = "\22layer%d\22"}> : () -> !pysrc.obj
        %11 = "pysrc.name"() <{id = "i"}> : () -> !pysrc.obj
        %12 = "pysrc.const"() <{code = "1"}> : () -> !pysrc.obj
        %13 = "pysrc.binop"(%11, %12) <{operator = "+"}> : (!pysrc.obj, !pysrc.obj) -> !pysrc.obj
        %14 = "pysrc.binop"(%10, %13) <{operator = "%"}> : (!pysrc.obj, !pysrc.obj) -> !pysrc.obj
        %15 = "pysrc.const"() <{code = "4"}> : () -> !pysrc.obj
        %16 = "pysrc.const"() <{code = "4"}> : () -> !pysrc.obj
        %17 = "fw.call"(%15, %16) <{framework = "torch", api = "torch.nn.Linear", arg_names = ["", ""], loc = "11:50"}> : (!pysrc.obj, !pysrc.obj) -> !pysrc.layer
        %18 = "pysrc.call"(%9, %14, %17) <{arg_names = ["", ""]}> : (!pysrc.obj, !pysrc.obj, !pysrc.layer) -> !pysrc.obj
        "pysrc.expr"(%18) <{loc = "11:13"}> : (!pysrc.obj) -> ()
      }) : (!pysrc.obj) -> ()
    }) : () -> ()
  }) : (!pysrc.obj) -> ()
  %19 = "fw.ref"() <{framework = "torch", api = "torch.nn.Module", loc = "14:11"}> : () -> !pysrc.obj
  "pysrc.class"(%19) <{sym_name = "Net", loc = "14:1", leading = "[\22\22, \22\22]"}> ({
    "pysrc.func"() <{sym_name = "__init__", params = ["self", "drop_rate: float"], param_names = ["self", "drop_rate"], loc = "15:5", returns = "None"}> ({
      %20 = "pysrc.name"() <{id = "super"}> : () -> !pysrc.obj
      %21 = "pysrc.call"(%20) <{arg_names = []}> : (!pysrc.obj) -> !pysrc.obj
      %22 = "pysrc.attr"(%21) <{attr = "__init__"}> : (!pysrc.obj) -> !pysrc.obj
      %23 = "pysrc.call"(%22) <{arg_names = []}> : (!pysrc.obj) -> !pysrc.obj
      "pysrc.expr"(%23) <{loc = "16:9"}> : (!pysrc.obj) -> ()
      %24 = "pysrc.name"() <{id = "OrderedDict"}> : () -> !pysrc.obj
      %25 = "pysrc.const"() <{code = "\22fc0\22"}> : () -> !pysrc.obj
      %26 = "pysrc.const"() <{code = "4"}> : () -> !pysrc.obj
      %27 = "pysrc.const"() <{code = "4"}> : () -> !pysrc.obj
      %28 = "fw.call"(%26, %27) <{framework = "torch", api = "torch.nn.Linear", arg_names = ["", ""], loc = "17:60"}> : (!pysrc.obj, !pysrc.obj) -> !pysrc.layer
      %29 = "pysrc.tuple"(%25, %28) <{kind = "tuple"}> : (!pysrc.obj, !pysrc.layer) -> !pysrc.obj
      %30 = "pysrc.tuple"(%29) <{kind = "list"}> : (!pysrc.obj) -> !pysrc.obj
      %31 = "pysrc.call"(%24, %30) <{arg_names = [""]}> : (!pysrc.obj, !pysrc.obj) -> !pysrc.obj
      %32 = "fw.call"(%31) <{framework = "torch", api = "torch.nn.Sequential", arg_names = [""], loc = "17:25"}> : (!pysrc.obj) -> !pysrc.layer
      "pysrc.assign"(%32) <{loc = "17:9", target = "self.features"}> : (!pysrc.layer) -> ()
      %33 = "pysrc.name"() <{id = "self"}> : () -> !pysrc.obj
      %34 = "pysrc.attr"(%33) <{attr = "features"}> : (!pysrc.obj) -> !pysrc.layer
      %35 = "pysrc.attr"(%34) <{attr = "add_module"}> : (!pysrc.layer) -> !pysrc.obj
      %36 = "pysrc.const"() <{code = "\22block\22"}> : () -> !pysrc.obj
      %37 = "pysrc.name"() <{id = "Block"}> : () -> !pysrc.obj
      %38 = "pysrc.const"() <{code = "2"}> : () -> !pysrc.obj
      %39 = "pysrc.call"(%37, %38) <{arg_names = [""]}> : (!pysrc.obj, !pysrc.obj) -> !pysrc.obj
      %40 = "pysrc.call"(%35, %36, %39) <{arg_names = ["", ""]}> : (!pysrc.obj, !pysrc.obj, !pysrc.obj) -> !pysrc.obj
      "pysrc.expr"(%40) <{loc = "18:9"}> : (!pysrc.obj) -> ()
      %41 = "pysrc.name"() <{id = "drop_rate"}> : () -> !pysrc.obj
      "pysrc.assign"(%41) <{loc = "19:9", target = "self.drop_rate"}> : (!pysrc.obj) -> ()
    }) : () -> ()
    "pysrc.func"() <{sym_name = "forward", params = ["self", "x"], param_names = ["self", "x"], loc = "21:5", leading = "[\22\22]"}> ({
      %42 = "pysrc.name"() <{id = "self"}> : () -> !pysrc.obj
      %43 = "pysrc.attr"(%42) <{attr = "features"}> : (!pysrc.obj) -> !pysrc.layer
      %44 = "pysrc.name"() <{id = "x"}> : () -> !pysrc.tensor
      %45 = "pysrc.call"(%43, %44) <{arg_names = [""]}> : (!pysrc.layer, !pysrc.tensor) -> !pysrc.tensor
      %46 = "pysrc.name"() <{id = "self"}> : () -> !pysrc.obj
      %47 = "pysrc.attr"(%46) <{attr = "drop_rate"}> : (!pysrc.obj) -> !pysrc.obj
      %48 = "pysrc.name"() <{id = "self"}> : () -> !pysrc.obj
      %49 = "pysrc.attr"(%48) <{attr = "training"}> : (!pysrc.obj) -> !pysrc.obj
      %50 = "fw.call"(%45, %47, %49) <{framework = "torch", api = "torch.nn.functional.dropout", arg_names = ["", "p", "training"], loc = "22:16"}> : (!pysrc.tensor, !pysrc.obj, !pysrc.obj) -> !pysrc.obj
      "pysrc.return"(%50) <{loc = "22:9"}> : (!pysrc.obj) -> ()
    }) : () -> ()
  }) : (!pysrc.obj) -> ()
}) : () -> ()

// CHECK-NOT: OrderedDict
// CHECK:      "pysrc.assign"(%{{.*}}) <{loc = "11:13", target = "self[\22layer%d\22 % (i + 1)]"}>
// CHECK:      %[[FC:.*]] = "fw.call"({{.*}}) <{framework = "torch", api = "torch.nn.Linear"
// CHECK-NEXT: %[[LIST:.*]] = "pysrc.tuple"(%[[FC]]) <{kind = "list"}>
// CHECK-NEXT: "pysrc.assign"(%[[LIST]]) <{loc = "17:9", target = "features"}>
// CHECK:      %[[APPEND:.*]] = "pysrc.attr"(%{{.*}}) <{attr = "append"}>
// CHECK:      %[[STAR:.*]] = "pysrc.star"
// CHECK-NEXT: %[[SEQ:.*]] = "fw.call"(%[[STAR]]) <{framework = "torch", api = "torch.nn.Sequential"
// CHECK-NEXT: "pysrc.assign"(%[[SEQ]]) <{target = "self.features"}>
// CHECK:      %[[DROP:.*]] = "fw.call"(%{{.*}}) <{framework = "torch", api = "torch.nn.Dropout", arg_names = ["p"]
// CHECK-NEXT: "pysrc.assign"(%[[DROP]]) <{target = "self.dropout"
// CHECK:      %[[MEMBER:.*]] = "pysrc.attr"(%{{.*}}) <{attr = "dropout"}>
// CHECK-NEXT: %{{.*}} = "pysrc.call"(%[[MEMBER]], %{{.*}}) <{arg_names = [""]}>
// CHECK-NOT: torch.nn.functional.dropout
