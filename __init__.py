"""switcheroo: a multi-stage compiler for deep-learning code, built on xDSL.

Frontends lower framework Python, StableHLO and GPU assembly into xDSL dialects; passes
raise them to the hub dialect defined by the ontology and lower them to a target; backends
print the result. See docs/architecture.md.
"""

__version__ = "0.1.0"
