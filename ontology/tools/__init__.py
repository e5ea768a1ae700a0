"""Tools over the ontology: importers, snapshots, the checker, coverage and authoring aids.

Each module backs one ``swc ontology ...`` subcommand and is imported only when that
subcommand runs.
"""
