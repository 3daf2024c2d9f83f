"""The shape of the code: one home per concept, arrows pointing down only.

Floors, bottom up: ``environment/`` (the model: plain Python), ``modules/`` (constructs) and
``localaws/`` (the emulator), ``stacks/`` (composition), ``main.py`` and ``ops/`` (entry points).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.synth import ROOT

SHIPPED = ("main.py", "environment", "stacks", "modules", "ops", "localaws", "toolchain", "backend/geoapi")
MAX_FUNCTION_LINES = 80
KNOWN_LONG: set[str] = set()
"""Still to split (issue 11, open): this list may only shrink."""


def python_files(*tops: str) -> list[Path]:
    files: list[Path] = []
    for top in tops:
        path = ROOT / top
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return [f for f in files if "migrations/versions" not in f.as_posix()]


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:`` (annotations only, never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        yield node
        yield from _runtime_nodes(node)


def imported_modules(path: Path) -> set[str]:
    """Every module an import statement of ``path`` runs (lazy imports inside functions included)."""
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def top(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("environment", {"cdktf", "constructs", "jsii", "cdktf_cdktf_provider_aws", "modules", "stacks", "ops", "localaws", "main"}),
        ("modules", {"stacks", "ops", "localaws", "main"}),
        ("stacks", {"ops", "localaws", "main"}),
        ("ops", {"cdktf", "constructs", "jsii", "cdktf_cdktf_provider_aws", "modules", "stacks", "main"}),
        ("localaws", {"cdktf", "constructs", "jsii", "cdktf_cdktf_provider_aws", "modules", "stacks", "ops", "main"}),
        ("toolchain", {"cdktf", "constructs", "jsii", "cdktf_cdktf_provider_aws", "modules", "stacks", "ops", "localaws"}),
    ],
)
def test_imports_point_down_only(package: str, forbidden: set[str]):
    wrong = sorted(f"{f.relative_to(ROOT)} imports {m}" for f in python_files(package) for m in imported_modules(f) if top(m) in forbidden)
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_no_stack_class_outside_stacks():
    offenders = []
    for f in python_files("modules", "environment", "ops", "localaws"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(getattr(b, "id", getattr(b, "attr", "")) == "TerraformStack" for b in node.bases):
                offenders.append(f"{f.relative_to(ROOT)}: {node.name}")
    assert not offenders, f"stack classes belong in stacks/: {offenders}"


def test_no_function_longer_than_80_lines():
    long = []
    for f in python_files(*SHIPPED):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES and f"{f.relative_to(ROOT)}:{node.name}" not in KNOWN_LONG:
                    long.append(f"{f.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(long)


def test_no_import_cycles_between_our_packages():
    ours = {"environment", "stacks", "modules", "ops", "localaws", "toolchain"}
    graph: dict[str, set[str]] = {}
    for f in python_files(*ours):
        module = ".".join(f.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        graph[module] = {m for m in imported_modules(f) if top(m) in ours and m != module}
    known = set(graph)

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    edges = {m: {r for r in map(resolve, deps) if r and r != m} for m, deps in graph.items()}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycle.extend([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
                return True
            if nxt not in state and visit(nxt, [*trail, nxt]):
                return True
        state[node] = 2
        return False

    for start in sorted(edges):
        if start not in state and visit(start, [start]):
            break
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_ops_commands_start_without_the_heavy_libraries():
    # Operator commands must start in a fraction of a second: importing any ops module may not
    # load jsii/cdktf (seconds, 1 GB) nor moto (seconds; only the emulator itself needs it).
    code = (
        "import importlib, pkgutil, sys, ops\n"
        "for m in pkgutil.walk_packages(ops.__path__, 'ops.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(' '.join(sorted({n.split('.')[0] for n in sys.modules})))\n"
    )
    loaded = set(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split())
    assert "ops" in loaded
    assert not loaded & {"moto", "jsii", "cdktf", "cdktf_cdktf_provider_aws", "constructs"}, sorted(loaded & {"moto", "jsii", "cdktf"})
