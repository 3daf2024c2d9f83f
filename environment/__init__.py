"""The environment model: the ground floor every other part of the project stands on.

Plain Python (pydantic, no jsii, nothing else of ours), so operator commands and the local
runtime import it in milliseconds:

* :mod:`environment.config`: the env-file schema and the one loader (``load_environments``);
* :mod:`environment.names`: every name derived from an environment (stacks, prefixes, CI roles);
* :mod:`environment.outputs`: the outputs contract of an environment stack.

The package itself imports nothing: ``from environment.names import ...`` stays free of the
schema (pydantic), so an operator command's ``--help`` answers at once. ``from environment import
load_environments`` still works (loaded on first use).
"""

from typing import Any

__all__ = ["ConfigError", "EnvironmentConfig", "load_environment", "load_environments", "parse_environment"]


def __getattr__(name: str) -> Any:
    """The loader's names, imported from :mod:`environment.config` on first use."""
    if name in __all__:
        from environment import config

        return getattr(config, name)
    raise AttributeError(f"module 'environment' has no attribute {name!r}")
