"""The Docker build context as an engine would send it, and a dry run of a build stage.

No Docker engine runs here, so the Dockerfiles are checked by reading them (with
``dockerfile-parse``) and by replaying their build stage: the ``COPY`` instructions
copy from the context filtered by ``.dockerignore`` (Docker's rules: ``**`` spans
directories, a match on a parent directory excludes its children, the last matching
pattern wins, ``!`` re-includes), then the ``uv`` commands of the ``RUN`` lines run
against that copy. What the image would be missing, the replay is missing too.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from dockerfile_parse import DockerfileParser


@dataclass(frozen=True)
class IgnorePattern:
    """One line of ``.dockerignore``."""

    regex: re.Pattern[str]
    include: bool  # a ``!pattern`` exception


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out.append(pattern[i : end + 1])
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def read_dockerignore(path: Path) -> list[IgnorePattern]:
    """The patterns of a ``.dockerignore`` file, in order."""
    patterns = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        body = str(PurePosixPath(line.lstrip("!").strip().lstrip("/")))
        patterns.append(IgnorePattern(_pattern_regex(body), include))
    return patterns


def is_ignored(relative: str, patterns: list[IgnorePattern]) -> bool:
    """Whether Docker leaves ``relative`` (a path inside the context) out of the context."""
    parts = PurePosixPath(relative).parts
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for pattern in patterns:
        if any(pattern.regex.fullmatch(candidate) for candidate in candidates):
            ignored = not pattern.include
    return ignored


def context_files(root: Path, patterns: list[IgnorePattern]) -> list[str]:
    """Every file of the build context (relative POSIX paths), after ``.dockerignore``."""
    # Without "!" exceptions an ignored directory holds nothing kept: skip walking it.
    prune = not any(p.include for p in patterns)
    files = []
    for directory, subdirs, names in os.walk(root):
        base = Path(directory).relative_to(root).as_posix()
        inner = [f"{base}/{n}" if base != "." else n for n in subdirs]
        if prune:
            subdirs[:] = [
                n for n, rel in zip(subdirs, inner, strict=True) if not is_ignored(rel, patterns)
            ]
        for name in names:
            relative = f"{base}/{name}" if base != "." else name
            if not is_ignored(relative, patterns):
                files.append(relative)
    return sorted(files)


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction with its stage."""

    stage: str
    instruction: str
    value: str


def instructions(dockerfile: Path) -> list[Instruction]:
    """The instructions of a Dockerfile (comments dropped), each tagged with its stage."""
    parser = DockerfileParser(str(dockerfile))
    stage = ""
    result = []
    structure: list[dict[str, Any]] = parser.structure
    for item in structure:
        name = str(item["instruction"])
        value = " ".join(str(item["value"]).split())
        if name == "COMMENT":
            continue
        if name == "FROM":
            words = value.split()
            stage = words[2] if len(words) == 3 and words[1].upper() == "AS" else value
        result.append(Instruction(stage, name, value))
    return result


def replay_build_stage(
    dockerfile: Path,
    context: Path,
    patterns: list[IgnorePattern],
    workdir: Path,
    env: dict[str, str],
) -> list[list[str]]:
    """Copy what the ``build`` stage copies from the context into ``workdir``.

    Returns the ``uv`` commands of the stage's ``RUN`` lines (to be run by the caller
    in ``workdir``); ``env`` receives the stage's ``ENV`` values.
    """
    commands: list[list[str]] = []
    for step in instructions(dockerfile):
        if step.stage != "build":
            continue
        words = shlex.split(step.value)
        if step.instruction == "ENV":
            for word in words:
                key, _, value = word.partition("=")
                env[key] = value
        elif step.instruction == "COPY" and not any(w.startswith("--from") for w in words):
            *sources, destination = words
            for source in sources:
                _copy_source(context, source, workdir, destination, patterns)
        elif step.instruction == "RUN":
            command = [w for w in words if not w.startswith("--mount")]
            commands.append(command)
    return commands


def _copy_source(
    context: Path, source: str, workdir: Path, destination: str, patterns: list[IgnorePattern]
) -> None:
    origin = context / source
    if is_ignored(source.rstrip("/"), patterns) or not origin.exists():
        raise FileNotFoundError(f"COPY {source}: not in the build context")
    into = workdir / destination
    if origin.is_file():
        # "COPY a b/" (or into ".") puts the file inside the directory.
        target = into / origin.name if destination.endswith(("/", ".")) else into
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target)
        return
    for path in origin.rglob("*"):
        inner = path.relative_to(context).as_posix()
        if path.is_file() and not is_ignored(inner, patterns):
            target = into / path.relative_to(origin)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
