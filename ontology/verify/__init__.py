"""``swc verify``: property-based evidence that every mapping computes what its spec says.

Inputs are drawn (hypothesis) from each spec's ODL constraints, every installed
framework's mapping runs on the same inputs, and results are compared with a reference
mapping within the op's tolerance. ``runner.verify_ontology`` is the entry point;
``cli`` exposes it as ``swc verify`` and ``swc gen-tests``.
"""
