"""Copy the code that ships (the tree git knows, without ``tests/`` and ``bench/``) to a folder.

    python -m toolchain.shipped_tree DIR          # DIR is emptied first; prints the number of files

The copy is taken from the working tree (tracked files and untracked ones git does not ignore,
as they are on disk), so uncommitted edits count. Used to measure repetition in what ships only:

    python -m toolchain.shipped_tree /tmp/shipped && duplicates --repo /tmp/shipped --most 200
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent

NOT_SHIPPED = ("tests", "bench")
"""Top-level folders left out: the test suite and the benchmark scripts."""


def shipped_files(root: Path = ROOT) -> list[PurePosixPath]:
    """Paths (relative to ``root``) git tracks or would track, outside :data:`NOT_SHIPPED`, that exist on disk."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    paths = sorted({PurePosixPath(p) for p in listing.split("\0") if p})
    return [p for p in paths if p.parts[0] not in NOT_SHIPPED and (root / p).is_file() and not (root / p).is_symlink()]


def export(dest: Path, root: Path = ROOT) -> int:
    """Empty ``dest`` and copy :func:`shipped_files` into it; return how many files were copied."""
    if dest.resolve() == root.resolve() or root.resolve() in dest.resolve().parents:
        raise SystemExit(f"{dest}: must be outside the checkout {root}")
    shutil.rmtree(dest, ignore_errors=True)
    files = shipped_files(root)
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target)
    return len(files)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolchain.shipped_tree", description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="folder to (re)create with the shipped files")
    args = parser.parse_args(argv)
    print(f"{export(args.dest)} files in {args.dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
