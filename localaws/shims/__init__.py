"""Shims that close moto's gaps for the Terraform AWS provider.

Each shim is one small module with:

* ``GAP``: what moto does wrong, which moto version it was seen in, and what it breaks;
* ``install()``: patch moto in this process (idempotent); call before the server answers.

They patch moto's *classes*, so they act on every moto backend in the process, in server
mode and under ``mock_aws`` alike. Shims only add behaviour AWS has; they never change what
moto already gets right. ``docs/emulator.md`` lists every gap and its workaround.
"""

from __future__ import annotations

from importlib import import_module
from pkgutil import iter_modules
from types import ModuleType

SHIMS: tuple[ModuleType, ...] = tuple(
    import_module(f"{__name__}.{name}") for name in sorted(m.name for m in iter_modules(__path__) if not m.name.startswith("_"))
)
"""Every shim (each public module of this package), in install order."""


def install_all() -> list[str]:
    """Install every shim (idempotent); return their names."""
    for shim in SHIMS:
        shim.install()
    return [shim.__name__.rsplit(".", 1)[-1] for shim in SHIMS]
