"""The base of every stack of the app: it refuses to synthesize while it breaks a guard-rail."""

from __future__ import annotations

from typing import Any

from cdktf import TerraformStack
from constructs import Construct

from modules.guardrails import GuardRails


class GuardRailViolation(ValueError):
    """A stack breaks guard-rails: one line per failure, each naming the construct, the rule and why."""


class GuardedStack(TerraformStack):
    """A ``TerraformStack`` whose JSON passes ``guard_rails`` before synth writes it.

    The check runs on exactly what ``cdktf synth`` writes (``to_terraform``), once per stack;
    a failure raises :class:`GuardRailViolation` listing every problem, and the stack is not written.
    """

    def __init__(self, scope: Construct, id_: str, *, guard_rails: GuardRails):
        super().__init__(scope, id_)
        self.guard_rails = guard_rails

    def to_terraform(self) -> Any:
        synthesized = super().to_terraform()
        problems = self.guard_rails.problems(self, synthesized)
        if problems:
            raise GuardRailViolation(f"guard-rails refuse stack {self.node.id}:\n" + "\n".join(f"  {p}" for p in problems))
        return synthesized
