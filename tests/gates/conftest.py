"""Fixtures of the security gates, and the report they print at the end of every pytest run.

The gates reuse the session's synthesized stacks (``synth_dir`` / ``stacks`` from the top
conftest: one jsii start-up per process) and run checkov once over them. The per-stack
checkov summary and the skip list with reasons are printed in pytest's terminal summary, so
they show in plain ``pytest`` / ``make test`` output, passing or failing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.gates.checkov_gate import GateReport, gate, load_skips

_SECTIONS: dict[str, str] = {}


def add_report_section(title: str, text: str) -> None:
    """Text shown under ``title`` in the terminal summary of this pytest run."""
    _SECTIONS[title] = text


def pytest_terminal_summary(terminalreporter) -> None:
    for title, text in _SECTIONS.items():
        terminalreporter.write_sep("=", title)
        terminalreporter.write_line(text)


@pytest.fixture(scope="session")
def checkov_report(synth_dir: Path, tmp_path_factory) -> GateReport:
    report = gate(synth_dir / "stacks", tmp_path_factory.mktemp("checkov-scan"), load_skips())
    add_report_section("checkov gate", report.render())
    return report


@pytest.fixture
def mutated() -> Callable[[dict, Callable[[dict], object]], dict]:
    """``mutated(stack_json, change)``: a deep copy of a synthesized stack with ``change`` applied."""

    def make(stack: dict, change: Callable[[dict], object]) -> dict:
        doc = copy.deepcopy(stack)
        change(doc)
        return doc

    return make
