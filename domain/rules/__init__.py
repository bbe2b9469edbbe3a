"""The rules of the playbook and of the classic process, one module per rule or group
of closely tied rules. Importing this package imports every module in it (each one
registers its rules and steps with ``domain.rulebook``): a new rule is a new module
here, nothing else to edit. ``docs/architecture.md`` lists the steps in order."""

from __future__ import annotations

import importlib
import pkgutil

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    importlib.import_module(f"{__name__}.{_info.name}")
