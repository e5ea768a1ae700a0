// RUN: swc-opt %s -p 'raise-fw-to-hub{framework=torch}' | filecheck %s

"pysrc.module"() ({
  %x = "pysrc.name"() <{id = "x"}> : () -> !pysrc.tensor
  %d = "pysrc.const"() <{code = "1"}> : () -> !pysrc.obj
  %k = "pysrc.const"() <{code = "True"}> : () -> !pysrc.obj
  %s = "fw.call"(%x, %d, %k) <{framework = "torch", api = "torch.sum", arg_names = ["", "dim", "keepdim"]}> : (!pysrc.tensor, !pysrc.obj, !pysrc.obj) -> !pysrc.tensor
  "pysrc.expr"(%s) : (!pysrc.tensor) -> ()
  // x.view(2, 3): the trailing positionals pack into the shape tuple.
  %a = "pysrc.const"() <{code = "2"}> : () -> !pysrc.obj
  %b = "pysrc.const"() <{code = "3"}> : () -> !pysrc.obj
  %v = "fw.call"(%x, %a, %b) <{framework = "torch", api = "torch.Tensor.reshape", method = "reshape", arg_names = ["", "", ""]}> : (!pysrc.tensor, !pysrc.obj, !pysrc.obj) -> !pysrc.tensor
  "pysrc.expr"(%v) : (!pysrc.tensor) -> ()
  %u = "fw.call"(%x) <{framework = "torch", api = "torch.no_such_api", arg_names = [""]}> : (!pysrc.tensor) -> !pysrc.tensor
  "pysrc.expr"(%u) : (!pysrc.tensor) -> ()
}) : () -> ()

// CHECK:      %{{.*}} = "hub.sum"(%x, %d, %k) <{arg_names = ["x", "axis", "keepdims"], src_framework = "torch", src_api = "torch.sum"}>
// CHECK:      %[[T:.*]] = "pysrc.tuple"(%a, %b) <{kind = "tuple"}>
// CHECK-NEXT: %{{.*}} = "hub.reshape"(%x, %[[T]]) <{arg_names = ["x", "shape"]
// CHECK:      "fw.call"(%x) <{framework = "torch", api = "torch.no_such_api", arg_names = [""], unmapped = "torch.no_such_api: no mapping in the ontology"}>
