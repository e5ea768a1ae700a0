// The docs' custom-pass example, run exactly as docs/custom-passes.md shows it.
// RUN: swc-opt %s --load-pass-plugin %repo/docs/examples/fold_double_relu.py -p fold-double-relu | filecheck %s

%x = "test.op"() : () -> !pysrc.tensor
%a = "hub.relu"(%x) <{arg_names = ["x"]}> : (!pysrc.tensor) -> !pysrc.tensor
%b = "hub.relu"(%a) <{arg_names = ["x"]}> : (!pysrc.tensor) -> !pysrc.tensor
"test.op"(%b) : (!pysrc.tensor) -> ()

// CHECK:      %a = "hub.relu"(%x)
// CHECK-NEXT: "test.op"(%a)
