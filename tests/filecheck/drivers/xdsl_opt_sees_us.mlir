// Stock xdsl-opt finds our dialects and passes through the xdsl.universe entry point.
// RUN: xdsl-opt %s -p 'raise-fw-to-hub{framework=torch}' | filecheck %s
// RUN: env COLUMNS=100000 xdsl-opt --help | filecheck %s --check-prefix=HELP

%x = "test.op"() : () -> !pysrc.tensor
%r = "fw.call"(%x) <{framework = "torch", api = "torch.relu", arg_names = [""]}> : (!pysrc.tensor) -> !pysrc.tensor

// CHECK: "hub.relu"(%x)
// HELP: raise-fw-to-hub
