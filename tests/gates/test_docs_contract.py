"""The docs name the outputs contract as ``environment/outputs.py`` defines it, and the layout table the tree."""

from __future__ import annotations

import re
from pathlib import Path

from environment.outputs import OUTPUT_NAMES

ROOT = Path(__file__).resolve().parents[2]


def _agents_outputs() -> list[str]:
    text = (ROOT / "AGENTS.md").read_text()
    block = text[text.index("Env stack outputs") : text.index("Container contract")]
    return [name for line in block.splitlines() if line.startswith("  - ") for name in re.findall(r"`([a-z0-9_]+)`", line)]


def test_agents_md_lists_exactly_the_outputs_contract_in_its_order():
    assert _agents_outputs() == list(OUTPUT_NAMES)


def test_readme_layout_table_names_every_construct_module():
    """Each module under ``modules/`` (a file or a package) appears in the README's layout row for ``modules/``."""
    row = next(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `modules/` |"))
    named = set(re.findall(r"`([a-z0-9_]+)/?`", row))
    present = {p.stem for p in (ROOT / "modules").glob("*.py") if p.stem not in {"__init__", "guardrails"}}
    present |= {p.name for p in (ROOT / "modules").iterdir() if (p / "__init__.py").exists()}
    assert present <= named, f"README's modules/ row misses {sorted(present - named)}"


def test_readme_and_agents_name_every_module_of_the_environment_model_and_the_stacks():
    readme = (ROOT / "README.md").read_text()
    agents = (ROOT / "AGENTS.md").read_text()
    env_row = next(line for line in readme.splitlines() if line.startswith("| `environment/` |"))
    for path in [*(ROOT / "environment").glob("*.py"), *(ROOT / "stacks").glob("*.py")]:
        if path.stem == "__init__":
            continue
        assert f"`{path.name}`" in agents, f"AGENTS.md's layout misses {path.parent.name}/{path.name}"
        if path.parent.name == "environment":
            assert f"`{path.name}`" in env_row, f"README's environment/ row misses {path.name}"
        else:
            assert f"`stacks/{path.name}`" in readme, f"README's layout misses stacks/{path.name}"
