"""The CDKTF app: one stack per environment file, plus one bootstrap stack per state bucket.

Usage: ``cdktf synth`` / ``cdktf deploy env-staging`` (the CLI runs this file).
Environment files are validated before any construct is built, so a bad file
fails with a list of problems and nothing is written.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

from environment.config import ConfigError, load_environments

ENVS_DIR = Path(os.environ.get("GEOAPP_ENVS_DIR", "envs"))


def main() -> int:
    try:
        envs = load_environments([ENVS_DIR])
    except ConfigError as err:
        print(f"Invalid environment configuration ({len(err.problems)} problem(s)); nothing was synthesized:", file=sys.stderr)
        for problem in err.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1

    load_bindings()  # jsii start-up is slow: only after the files are known to be good
    from cdktf import App

    app = App()
    compose(app, envs)
    app.synth()
    return 0


def load_bindings() -> None:
    """Import cdktf and the stacks (with them the AWS provider bindings) with the cyclic GC paused, then freeze them.

    The bindings import ~1,500 modules and leave ~1.1 million long-lived Python objects; the collector
    would scan them ~2,600 times while they load (~2 s of CPU) and again in the collections at
    interpreter exit (~3 s). They are never garbage, so they go to the permanent generation
    (``gc.freeze``) and are left out of every later collection. The collector is on again for the rest.
    """
    gc.disable()
    try:
        import cdktf  # noqa: F401

        import stacks.bootstrap  # noqa: F401
        import stacks.env  # noqa: F401
    finally:
        gc.freeze()
        gc.enable()


def compose(app, envs) -> None:
    """One bootstrap stack per state bucket, one stack per environment."""
    from environment.names import bootstrap_stack_name, group_by_backend
    from stacks.bootstrap import BootstrapStack
    from stacks.env import EnvironmentStack

    for bucket, group in group_by_backend(envs).items():
        BootstrapStack(app, bootstrap_stack_name(bucket), envs=group)
    for env in envs:
        EnvironmentStack(app, env.stack_name, config=env)


if __name__ == "__main__":
    sys.exit(main())
