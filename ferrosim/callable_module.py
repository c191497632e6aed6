"""`ferrosim.sweep(...)` and `ferrosim.report(...)` are API functions and also the names of
subpackages (`ferrosim.sweep.plan`, `ferrosim.report.build`). Python binds a subpackage to its
parent's attribute once it is imported, so a plain function of that name would be replaced the
first time any module of the subpackage loads. Instead each of those subpackages is itself
callable: calling the module calls the API function (`ferrosim.api`)."""

from __future__ import annotations

import sys
import types


def make_callable(module_name: str, function_name: str) -> None:
    """Make the module `module_name` call `ferrosim.api.<function_name>` when called."""

    class CallableModule(types.ModuleType):
        def __call__(self, *args, **kwargs):
            from ferrosim import api

            return getattr(api, function_name)(*args, **kwargs)

    CallableModule.__call__.__doc__ = f"ferrosim.api.{function_name}"
    sys.modules[module_name].__class__ = CallableModule
