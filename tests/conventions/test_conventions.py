"""Conventions the codebase keeps: sorted lazy registries, op class names, importability."""

from __future__ import annotations

import subprocess
import sys

from switcheroo import registry


def test_registries_sorted():
    for table in (registry.DIALECTS, registry.PASSES, registry.FRONTENDS, registry.TARGETS):
        assert list(table) == sorted(table)


def test_every_registered_entry_loads_and_is_named_for_its_file():
    for name, get in registry.PASSES.items():
        cls = get()
        assert cls.name == name
        assert cls.__module__.rsplit(".", 1)[1] == name.replace("-", "_")
    for name, get in registry.DIALECTS.items():
        assert get().name == name


def test_op_class_names_end_in_op():
    for get in registry.DIALECTS.values():
        for op in get().operations:
            assert op.__name__.endswith("Op"), op.__name__


def test_import_from_any_folder(tmp_path):
    code = "import switcheroo.passes, switcheroo.dialects, switcheroo.frontends, switcheroo.backends, switcheroo.ontology"
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_registry_import_is_lazy():
    code = ("import sys, switcheroo.registry; "
            "print(any(m.startswith('switcheroo.passes.') or m == 'libcst' for m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.stdout.strip() == "False", p.stderr
