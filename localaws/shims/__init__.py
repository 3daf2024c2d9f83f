"""Shims that close moto's gaps for the Terraform AWS provider.

Each shim is one small module with:

* ``GAP``: what moto does wrong, which moto version it was seen in, and what it breaks;
* ``patches()``: the moto classes it changes and, for each, the attributes it replaces or adds
  (wrappers read the originals from the class). :func:`install_all` applies them once per process,
  before the server answers.

They patch moto's *classes*, so they act on every moto backend in the process, in server
mode and under ``mock_aws`` alike. Shims only add behaviour AWS has; they never change what
moto already gets right. ``docs/emulator.md`` lists every gap and its workaround.
"""

from __future__ import annotations

from importlib import import_module
from pkgutil import iter_modules
from types import ModuleType

from ._patch import install

SHIMS: tuple[ModuleType, ...] = tuple(
    import_module(f"{__name__}.{name}") for name in sorted(m.name for m in iter_modules(__path__) if not m.name.startswith("_"))
)
"""Every shim (each public module of this package), in install order."""


def install_all() -> list[str]:
    """Install every shim (idempotent); return their names."""
    for shim in SHIMS:
        install(shim)
    return [shim.__name__.rsplit(".", 1)[-1] for shim in SHIMS]
