"""The environment model: the ground floor every other part of the project stands on.

Plain Python (pydantic, no jsii, nothing else of ours), so operator commands and the local
runtime import it in milliseconds:

* :mod:`environment.config`: the env-file schema and the one loader (``load_environments``);
* :mod:`environment.names`: every name derived from an environment (stacks, prefixes, CI roles);
* :mod:`environment.outputs`: the outputs contract of an environment stack.
"""

from environment.config import ConfigError, EnvironmentConfig, load_environment, load_environments, parse_environment

__all__ = ["ConfigError", "EnvironmentConfig", "load_environment", "load_environments", "parse_environment"]
