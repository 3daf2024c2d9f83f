"""How a shim patches a moto class: once per process, marked per shim."""

from __future__ import annotations


def _flag(shim: str) -> str:
    return f"_localaws_{shim.rsplit('.', 1)[-1]}_installed"


def patched(target: object, shim: str) -> bool:
    """Whether the shim module named ``shim`` (its ``__name__``) has already patched ``target``."""
    return bool(getattr(target, _flag(shim), False))


def patch(target: object, shim: str, **attributes: object) -> None:
    """Set ``attributes`` on ``target`` (a moto class) and mark it patched by ``shim`` (see :func:`patched`)."""
    for name, value in attributes.items():
        setattr(target, name, value)
    setattr(target, _flag(shim), True)
