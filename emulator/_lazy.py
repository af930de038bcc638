"""A package's public names imported from their modules on first use (PEP 562).

A package root lists each public name's home module; `from package import name` (or
`package.name`) imports that module then, once, and keeps the value in the package. Importing a
package so costs nothing more, and a module that needs one name loads only what that name needs:
`from emulator import Emulator` loads the facade, and the engine loads with the first `Emulator()`.
Modules load under the dataclass method cache (`_method_cache`), as every lazy name does.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, homes: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package`, whose names live in the modules `homes`
    lists by name relative to the package (`{"_clock": ("Clock", "Timer")}`); any other name is
    imported as a subpackage or module of `package` if there is one."""
    home = {name: f"{package}.{module}" for module, names in homes.items() for name in names}
    namespace = sys.modules[package].__dict__  # the package, as it is being initialised

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            try:
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        from emulator._method_cache import cached_dataclass_methods

        with cached_dataclass_methods():  # our dataclasses' methods are compiled once a machine
            value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *home})

    return __getattr__, __dir__
