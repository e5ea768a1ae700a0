// RUN: swc-opt %s --split-input-file --verify-diagnostics | filecheck %s

%0 = "test.op"() : () -> !pysrc.tensor
%1 = "hub.sum"(%0, %0) <{arg_names = ["x", "dims"]}> : (!pysrc.tensor, !pysrc.tensor) -> !pysrc.tensor
// CHECK: 'dims' is not an argument of spec 'sum'

// -----

%0 = "test.op"() : () -> !pysrc.tensor
%1 = "hub.matmul"(%0) <{arg_names = ["x1"]}> : (!pysrc.tensor) -> !pysrc.tensor
// CHECK: missing required argument 'x2'

// -----

%0 = "fw.ref"() <{framework = "caffe", api = "caffe.Net"}> : () -> !pysrc.obj
// CHECK: unknown framework 'caffe'
