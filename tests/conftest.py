"""Shared fixtures and the suite's rules.

- ``synth_dir`` / ``stacks``: the synthesized stacks of envs/, built once per session
  in-process (loading the AWS bindings through jsii costs ~10-18 s, so every infra test
  shares one Python process and one synth; other env files: ``tests.synth.synth_envs``).
- ``env_local``: env-local deployed ONCE per session by ``ops.local.up`` on a fresh emulator
  (free loopback port, temp copy of envs/local.toml), torn down at the end. Tests that only
  read it share it; tests that change it carry ``@pytest.mark.mutates_env_local(order=N)``
  and run after every other test, by ``order`` (the destroy check is last). Long Terraform work
  whose effects the read-only tests cannot see (the drift checks, the restore drill's first
  apply) starts in one background thread as soon as the deploy is up
  (``tests.local.helpers.alongside_the_read_only_tests``); its test reads the result at its turn.
  ``GEOAPP_REUSE_ENV_LOCAL=<dir>`` keeps the deployment in ``<dir>`` and reuses it on the next
  run (``up`` skips an unchanged deploy): for iterating on e2e tests, never set under CI.
- Under CI (``CI`` set to anything but "" / "0" / "false"), a skipped or xfailed test is a
  failure, unless its node id starts with an entry of :data:`CI_SKIP_ALLOWED` (a reason each).
  Skips at collection (``pytest.skip(allow_module_level=True)``) fail the run at the end.
- Phases: the terminal summary gives the wall time of install (``$CI_INSTALL_SECONDS``, set by
  .ci/run), lint (tests/gates/test_lint.py), e2e (``emulator`` tests, the shared deploy
  included) and unit (the rest): setup + call + teardown of each test, summed per phase.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.synth import ROOT, synth_envs


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cdktf.out")
    synth_envs(out, ROOT / "envs")
    return out


@pytest.fixture(scope="session")
def stacks(synth_dir) -> dict[str, dict]:
    return {p.name: json.loads((p / "cdk.tf.json").read_text()) for p in sorted((synth_dir / "stacks").iterdir())}


@pytest.fixture(scope="session")
def env_local(tmp_path_factory, request) -> Iterator:
    """env-local on a fresh emulator, deployed once per session (``tests.local.helpers.EnvLocal``)."""
    import localaws
    from ops import local
    from tests.local.helpers import EnvLocal, client_factory, synth_in_process, write_env_copy

    reuse = os.environ.get("GEOAPP_REUSE_ENV_LOCAL")  # a dir of an earlier run: iterate without a new deploy
    base = Path(reuse) if reuse else tmp_path_factory.mktemp("env-local")
    if reuse and (base / "envs" / "local.toml").exists():
        from environment.config import load_environment

        env_file = base / "envs" / "local.toml"
        config = load_environment(env_file)
    else:
        env_file, config = write_env_copy(base / "envs", port=localaws.free_port())
    target = local.Target.from_env_file(env_file)
    out, state_dir = base / "cdktf.out", base / "state"
    env: EnvLocal | None = None
    try:
        # in this process: the jsii runtime starts once per session (the drill synthesizes again),
        # not once more in a `cdktf synth` subprocess; `up` sees an up-to-date synth and skips its own
        synthesized = 0.0 if reuse else synth_in_process(target, out)  # reuse: `up` synthesizes if inputs changed
        deployment = local.up(target, out, state_dir)
        env = EnvLocal(
            target=target,
            config=config,
            env_dir=env_file.parent,
            out=out,
            state_dir=state_dir,
            cmd_env=local.command_env(target),
            deployment=deployment,
            outputs=deployment.outputs,
            client=client_factory(target.endpoint),
        )
        env.figures.update(
            {"synth, in process (s)": synthesized} | {f"{step} (s)": seconds for step, seconds in deployment.timings.items()}
        )
        with ThreadPoolExecutor(1, thread_name_prefix="alongside") as pool:
            env.start_alongside([getattr(item, "originalname", item.name) for item in request.session.items], pool)
            yield env
    finally:
        if not reuse:
            _stop_env_local(local, localaws, state_dir)
    if env is not None:  # printed in the terminal summary (from an xdist worker: through its workeroutput)
        _ENV_LOCAL_FIGURES.update(env.figures)
        if hasattr(request.config, "workeroutput"):
            request.config.workeroutput["env_local_figures"] = dict(env.figures)


def _stop_env_local(local, localaws, state_dir: Path) -> None:
    """Stop what ``up`` started: the data plane (when ``ops.local`` has one) and the emulator."""
    stop = getattr(local, "stop_processes", None)
    if stop is not None:
        stop(state_dir)
    localaws.stop_background(state_dir)


ENV_LOCAL_SCOPE = "env_local"
_ENV_LOCAL_FIGURES: dict[str, float] = {}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """On the xdist controller: the shared deploy's figures from the worker that ran it."""
    _ENV_LOCAL_FIGURES.update(getattr(node, "workeroutput", {}).get("env_local_figures", {}))


def shared_deploy_tests(root: Path = ROOT) -> set[str]:
    """Node ids (``path::function``) of the test functions that take the ``env_local`` fixture."""
    found: set[str] = set()
    for path in sorted((root / "tests").rglob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        if "env_local" not in text:
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test") and any(a.arg == "env_local" for a in node.args.args):
                found.add(f"{path.relative_to(root).as_posix()}::{node.name}")
    return found


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist, the shared env-local deploy and every test on it form one unit of work
    (one worker deploys once and runs them in order); every other test is its own unit.
    (xdist's own ``loadgroup`` marks do not group under pytest 9: it renames ``item._nodeid``,
    which pytest 9 no longer reads.)"""
    from xdist.scheduler import LoadScopeScheduling

    shared = shared_deploy_tests()

    class SharedDeployScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return ENV_LOCAL_SCOPE if nodeid.split("[", 1)[0] in shared else nodeid

    return SharedDeployScheduling(config, log)


def pytest_collection_modifyitems(session, config, items: list[pytest.Item]) -> None:
    """Tests that change the shared env-local run last, by their marker's ``order`` (stable)."""

    def rank(item: pytest.Item) -> int | None:
        marker = item.get_closest_marker("mutates_env_local")
        return None if marker is None else int(marker.kwargs.get("order", 0))

    mutating = sorted((i for i in items if rank(i) is not None), key=rank)
    if mutating:
        items[:] = [i for i in items if rank(i) is None] + mutating
    if hasattr(config, "workerinput"):
        # an xdist worker: the shared deploy's group first, so one worker starts the long e2e run
        # at once while the other takes everything else, longest modules first, so that the
        # run does not end on one long test while the other worker idles (same order on every worker)
        shared = [i for i in items if "env_local" in getattr(i, "fixturenames", ())]
        rest = [i for i in items if "env_local" not in getattr(i, "fixturenames", ())]
        items[:] = shared + sorted(rest, key=_longest_first)


LONGEST_MODULES = (
    "tests/ops/test_plan_gate.py",
    "tests/frontend/test_frontend_checks.py",
    "tests/gates/test_api_fuzz.py",
    "tests/infra/test_config.py",
    "tests/local/test_localaws_server.py",
    "tests/ops/test_loadtest.py",
    "tests/frontend/test_browser.py",
    "tests/backend/test_ogc_core.py",
    "tests/gates/test_checkov.py",
    "tests/infra/test_stacks.py",
)
"""The modules outside the shared deploy that took longest in the clean-clone CI (10-85 s each,
2026-12-06), scheduled first; the order of the rest is unchanged. Only an order: a module
missing here or a new slow one costs balance, never a test."""


def _longest_first(item: pytest.Item) -> int:
    module = item.nodeid.split("::", 1)[0]
    return LONGEST_MODULES.index(module) if module in LONGEST_MODULES else len(LONGEST_MODULES)


CI_SKIP_ALLOWED: dict[str, str] = {}
"""Node-id prefix -> why that test may skip under CI. Reviewed: keep it short, reason each."""


def running_under_ci(env: dict[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no")


def _allowed(nodeid: str) -> bool:
    return any(nodeid.startswith(prefix) for prefix in CI_SKIP_ALLOWED)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and running_under_ci() and not _allowed(item.nodeid):
        reason = getattr(report, "wasxfail", None)
        if reason is not None:
            why = f"xfail ({reason or 'no reason'})"
        else:
            why = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        if hasattr(report, "wasxfail"):
            del report.wasxfail
        report.longrepr = (
            f"SKIPPED UNDER CI: {why}\n"
            "CI must run every test: install the prerequisite (make install / make system-deps), "
            "or add the node id to CI_SKIP_ALLOWED in tests/conftest.py with a reason."
        )


_COLLECT_SKIPS: list[str] = []


def pytest_collectreport(report) -> None:
    if report.skipped and running_under_ci() and not _allowed(report.nodeid):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _COLLECT_SKIPS.append(f"{report.nodeid}: {reason}")


LINT_MODULES = ("tests/gates/test_lint.py",)
_PHASE_SECONDS: dict[str, float] = {"lint": 0.0, "unit": 0.0, "e2e": 0.0}
_WORKER_SECONDS: dict[str, float] = {}


def _phase(report) -> str:
    """lint, e2e (``emulator`` tests) or unit; from the report, so it also works under xdist."""
    if report.nodeid.startswith(LINT_MODULES):
        return "lint"
    return "e2e" if "emulator" in getattr(report, "keywords", {}) else "unit"


def pytest_runtest_logreport(report) -> None:
    _PHASE_SECONDS[_phase(report)] += report.duration
    node = getattr(report, "node", None)  # the xdist worker that ran it (on the controller)
    worker = node.gateway.id if node is not None else "main"
    _WORKER_SECONDS[worker] = _WORKER_SECONDS.get(worker, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    install = os.environ.get("CI_INSTALL_SECONDS")
    phases = ([("install", float(install))] if install else []) + list(_PHASE_SECONDS.items())
    terminalreporter.section("wall time per phase")
    terminalreporter.write_line("  ".join(f"{name} {seconds:.0f} s" for name, seconds in phases))
    workers = getattr(config.option, "numprocesses", None)
    if workers:
        terminalreporter.write_line(f"(test time summed over {workers} xdist workers; the session's wall time is pytest's own figure)")
        busy = "  ".join(f"{worker} {seconds:.0f} s" for worker, seconds in sorted(_WORKER_SECONDS.items()))
        terminalreporter.write_line(f"busy time per worker (the longest bounds the run): {busy}")
    if _ENV_LOCAL_FIGURES:
        terminalreporter.write_line("env-local on the emulator (shared by the e2e tests), wall time:")
        for name, seconds in _ENV_LOCAL_FIGURES.items():
            terminalreporter.write_line(f"  {name:40s} {seconds:6.1f}")
    if _COLLECT_SKIPS:
        terminalreporter.section("skipped at collection under CI (a failure)", red=True)
        for line in _COLLECT_SKIPS:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session, exitstatus) -> None:
    if _COLLECT_SKIPS and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
