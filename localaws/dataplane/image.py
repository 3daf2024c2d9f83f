"""What the backend image runs, read from ``backend/Dockerfile`` (there is no Docker engine here).

The data plane runs the image's ``CMD`` (or the task definition's ``command``) from the
project's venv with ``backend/`` on the path, with the image's ``ENV`` values as the base
environment (the task definition's environment goes on top, as in a container).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BACKEND = PROJECT_ROOT / "backend"
DOCKERFILE = BACKEND / "Dockerfile"

#: image ENV values that name paths inside the image; locally they come from the venv / overrides
IMAGE_ONLY_ENV = frozenset({"PATH", "PYTHONPATH", "HOME", "TMPDIR", "DB_CA_BUNDLE"})


@dataclass(frozen=True)
class Image:
    cmd: list[str]
    env: dict[str, str]


def _final_stage(lines: list[str]) -> list[str]:
    start = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    return lines[start:]


def _logical_lines(text: str) -> list[str]:
    joined = text.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def read_image(dockerfile: Path = DOCKERFILE) -> Image:
    """The final stage's CMD (exec form) and ENV (key=value form)."""
    lines = _final_stage(_logical_lines(dockerfile.read_text(encoding="utf-8")))
    cmd: list[str] = []
    env: dict[str, str] = {}
    for line in lines:
        word, _, rest = line.partition(" ")
        if word.upper() == "CMD":
            cmd = json.loads(rest)
        elif word.upper() == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    if not cmd:
        raise ValueError(f"{dockerfile}: no CMD in the final stage")
    return Image(cmd=cmd, env=env)


def local_argv(command: list[str], workdir: str = "/app") -> list[str]:
    """``command`` with its program taken from this venv (``python`` -> sys.executable) and
    arguments under the image's ``workdir`` (``/app``) pointing into backend/."""
    program, *args = command
    args = [str(BACKEND / a.removeprefix(workdir + "/")) if a.startswith(workdir + "/") else a for a in args]
    if program in ("python", "python3"):
        return [sys.executable, *args]
    candidate = Path(sys.executable).parent / program
    return [str(candidate) if candidate.exists() else program, *args]


def base_env(image: Image) -> dict[str, str]:
    """The process environment of a local 'container': this venv on PATH, backend/ on PYTHONPATH."""
    env = {k: v for k, v in image.env.items() if k not in IMAGE_ONLY_ENV}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        PYTHONPATH=str(BACKEND),
        HOME=os.environ.get("HOME", "/tmp"),  # noqa: S108
        TMPDIR=os.environ.get("TMPDIR", "/tmp"),  # noqa: S108
        LANG="C.UTF-8",
    )
    return env
