"""How a shim patches moto: its ``patches()`` says what to set; :func:`install` sets it, once per process."""

from __future__ import annotations

from types import ModuleType

Patches = dict[object, dict[str, object]]
"""What one shim sets: for each moto class, the attributes (name -> new value) it replaces or adds."""


def _flag(shim: str) -> str:
    return f"_localaws_{shim.rsplit('.', 1)[-1]}_installed"


def patched(target: object, shim: str) -> bool:
    """Whether the shim module named ``shim`` (its ``__name__``) has already patched ``target``."""
    return bool(getattr(target, _flag(shim), False))


def install(shim: ModuleType) -> bool:
    """Apply ``shim.patches()`` and mark every target class; return False when the shim was already applied.

    ``patches()`` reads the originals it wraps from the classes, so a second install in the same process
    would wrap the wrappers: the marks make it a no-op instead (the replacements just built are dropped).
    """
    patches: Patches = shim.patches()
    if any(patched(target, shim.__name__) for target in patches):
        return False
    for target, attributes in patches.items():
        for name, value in attributes.items():
            setattr(target, name, value)
        setattr(target, _flag(shim.__name__), True)
    return True
