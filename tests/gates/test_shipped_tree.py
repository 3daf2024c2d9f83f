"""``toolchain.shipped_tree`` copies exactly the code that ships: what git knows, without tests/ and bench/."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from toolchain.shipped_tree import export


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_export_keeps_tracked_and_new_files_and_drops_tests_bench_and_ignored(tmp_path):
    repo = tmp_path / "repo"
    for rel in ("modules/a.py", "tests/test_a.py", "bench/b.py", "docs/tests/note.md", ".gitignore"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text("build/\n" if rel == ".gitignore" else f"# {rel}\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    (repo / "modules/a.py").write_text("# edited, not committed\n")
    (repo / "modules/new.py").write_text("# untracked, not ignored\n")
    (repo / "build").mkdir()
    (repo / "build/out.py").write_text("# ignored\n")
    dest = tmp_path / "out"
    (dest / "stale").mkdir(parents=True)

    assert export(dest, repo) == 4
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()) == [
        ".gitignore",
        "docs/tests/note.md",
        "modules/a.py",
        "modules/new.py",
    ]
    assert (dest / "modules/a.py").read_text() == "# edited, not committed\n"


def test_export_refuses_a_folder_inside_the_checkout(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    with pytest.raises(SystemExit, match="must be outside the checkout"):
        export(repo / "shipped", repo)
