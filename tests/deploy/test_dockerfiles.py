"""The service images, checked by reading their Dockerfiles and replaying the build stage.

No Docker engine exists on the test machines: the structure is asserted with
``dockerfile-parse`` (multi-stage, pinned bases, non-root, probe, ports from the
settings classes) and the build stage's ``uv sync`` runs for real against a copy of
the build context filtered by ``.dockerignore``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .build_context import (
    Instruction,
    context_files,
    instructions,
    is_ignored,
    read_dockerignore,
    replay_build_stage,
)
from .layout import ROOT, SERVICES, ServiceSpec

pytestmark = pytest.mark.deploy

UV = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "agora"
IGNORE = read_dockerignore(ROOT / ".dockerignore")
ALL_INTERFACES = "0.0.0.0"  # noqa: S104  (inside a container: reachable through its ports)


def dockerfile(spec: ServiceSpec) -> Path:
    return ROOT / "services" / spec.name / "Dockerfile"


def stage(steps: list[Instruction], name: str) -> list[Instruction]:
    return [s for s in steps if s.stage == name]


def only(steps: list[Instruction], instruction: str) -> Instruction:
    found = [s for s in steps if s.instruction == instruction]
    assert len(found) == 1, f"expected one {instruction}, found {found}"
    return found[0]


def bootstrap_uv_version() -> str:
    match = re.search(r'^uv_version="([^"]+)"', (ROOT / "tools/bootstrap.sh").read_text(), re.M)
    assert match, "tools/bootstrap.sh no longer pins uv_version"
    return match.group(1)


def python_image() -> str:
    text = dockerfile(SERVICES[0]).read_text()
    match = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M)
    assert match, "the Dockerfile no longer sets ARG PYTHON_IMAGE"
    return match.group(1)


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_multi_stage_on_pinned_images(spec: ServiceSpec) -> None:
    steps = instructions(dockerfile(spec))
    froms = [s.value for s in steps if s.instruction == "FROM"]
    assert froms == [
        f"ghcr.io/astral-sh/uv:{bootstrap_uv_version()} AS uv",
        "${PYTHON_IMAGE} AS build",
        "${PYTHON_IMAGE} AS runtime",
    ]
    # Same interpreter path in both stages (the venv links to it); a patch-level tag.
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+", python_image())


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_build_stage_installs_the_locked_service_only(spec: ServiceSpec) -> None:
    build = stage(instructions(dockerfile(spec)), "build")
    runs = [s.value for s in build if s.instruction == "RUN"]
    syncs = [shlex.split(r) for r in runs if " uv sync " in f" {r} "]
    assert len(syncs) == 2, runs
    for words in syncs:
        for flag in ("--frozen", "--no-dev"):
            assert flag in words
        assert words[words.index("--package") + 1] == spec.package
    assert "--no-install-workspace" in syncs[0]
    assert "--no-editable" in syncs[1]  # the venv must not point back into /src


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_runtime_stage_is_the_venv_run_as_non_root(spec: ServiceSpec) -> None:
    runtime = stage(instructions(dockerfile(spec)), "runtime")
    copies = [s.value for s in runtime if s.instruction == "COPY"]
    assert copies == ["--from=build /app/.venv /app/.venv"]
    user = only(runtime, "USER").value
    uid, _, gid = user.partition(":")
    assert uid.isdigit(), user
    assert gid.isdigit(), user
    assert int(uid) >= 1000, user
    assert int(gid) >= 1000, user
    assert [s.instruction for s in runtime][-1] == "ENTRYPOINT"
    assert only(runtime, "ENTRYPOINT").value == f'["python", "-m", "{spec.module}"]'
    assert only(runtime, "STOPSIGNAL").value == "SIGTERM"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_ports_and_environment_match_the_settings(spec: ServiceSpec) -> None:
    runtime = stage(instructions(dockerfile(spec)), "runtime")
    exposed = [int(p) for p in only(runtime, "EXPOSE").value.split()]
    assert exposed == [spec.grpc_port, spec.http_port, spec.connect_port, *spec.extra_ports]
    env = dict(w.split("=", 1) for w in shlex.split(only(runtime, "ENV").value))
    agora = {k: v for k, v in env.items() if k.startswith("AGORA_")}
    unknown = set(agora) - spec.env_names()
    assert not unknown, f"ENV sets variables the service does not read: {unknown}"
    prefix = spec.env_prefix
    assert agora[f"{prefix}GRPC_HOST"] == ALL_INTERFACES
    assert agora[f"{prefix}HTTP_HOST"] == ALL_INTERFACES
    assert agora[f"{prefix}GRPC_PORT"] == str(spec.grpc_port)
    assert agora[f"{prefix}HTTP_PORT"] == str(spec.http_port)
    assert agora[f"{prefix}CONNECT_HOST"] == ALL_INTERFACES
    assert agora[f"{prefix}CONNECT_PORT"] == str(spec.connect_port)
    if spec.extra_ports:
        assert agora[f"{prefix}PUBLIC_HOST"] == ALL_INTERFACES
        assert agora[f"{prefix}PUBLIC_PORT"] == str(spec.extra_ports[0])


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_healthcheck_asks_the_grpc_health_service(spec: ServiceSpec) -> None:
    check = only(stage(instructions(dockerfile(spec)), "runtime"), "HEALTHCHECK").value
    command = check.split(" CMD ", 1)[1]
    assert shlex.split(command) == [
        "python",
        "-m",
        "agora_core.grpc.probe",
        f"127.0.0.1:${{{spec.env_prefix}GRPC_PORT}}",
    ]


def normalised(spec: ServiceSpec) -> list[tuple[str, str, str]]:
    """The instructions with the service's name and ports replaced by placeholders."""
    replacements = {
        spec.env_prefix: "AGORA_SVC_",
        f"{spec.module}": "agora_svc",
        f"{spec.package}": "agora-svc",
        f"services/{spec.name}/ services/{spec.name}/": "services/svc/ services/svc/",
        str(spec.grpc_port): "GRPC",
        str(spec.http_port): "HTTP",
    }
    result = []
    for step in instructions(dockerfile(spec)):
        if step.instruction in {"ENV", "EXPOSE"} and step.stage == "runtime":
            continue  # checked against the settings above
        value = step.value
        for old, new in replacements.items():
            value = value.replace(old, new)
        result.append((step.stage, step.instruction, value))
    return result


def test_the_four_dockerfiles_are_the_same_recipe() -> None:
    reference = normalised(SERVICES[0])
    for spec in SERVICES[1:]:
        assert normalised(spec) == reference, f"services/{spec.name}/Dockerfile drifted"


def test_dockerignore_keeps_sources_and_drops_local_state() -> None:
    files = context_files(ROOT, IGNORE)
    assert "uv.lock" in files
    assert "libs/agora-core/src/agora_core/runtime.py" in files
    templates = "services/notifications/src/agora_notifications/templates/"
    assert any(f.startswith(templates) for f in files)
    # The translation catalogs are read as .po at runtime (docs/translations.md).
    locales = "services/notifications/src/agora_notifications/locales/"
    assert f"{locales}fr/LC_MESSAGES/notifications.po" in files
    for path in (
        ".venv/bin/python",
        ".git/HEAD",
        "services/catalog/tests/unit/__init__.py",
        "libs/agora-core/src/agora_core/__pycache__/runtime.cpython-311.pyc",
        ".agora-local/kafka/server.log",
        "deploy/helm/agora/values.yaml",
        "bench/reports/x.json",
        ".env",
    ):
        assert is_ignored(path, IGNORE), path


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_build_stage_replayed_installs_a_working_service(spec: ServiceSpec, tmp_path: Path) -> None:
    """``uv sync`` as the image runs it, on exactly what the image's COPY lines bring in."""
    env: dict[str, str] = {}
    workdir = tmp_path / "src"
    workdir.mkdir()
    commands = replay_build_stage(dockerfile(spec), ROOT, IGNORE, workdir, env)
    venv = tmp_path / "venv"
    assert env["UV_PROJECT_ENVIRONMENT"] == "/app/.venv"
    run_env = {
        **os.environ,
        **env,
        "UV_PROJECT_ENVIRONMENT": str(venv),
        # What is installed is the same; compiling and copying it only costs time here.
        "UV_COMPILE_BYTECODE": "0",
        "UV_LINK_MODE": "hardlink",
        "UV_PYTHON": getattr(sys, "_base_executable", sys.executable),  # the base interpreter
        "VIRTUAL_ENV": "",
    }
    uv = UV / f"tools-uv-{bootstrap_uv_version()}" / "bin" / "uv"
    assert uv.exists(), f"{uv} missing: run tools/bootstrap.sh"
    for command in commands:
        assert command[0] == "uv"
        done = subprocess.run(  # noqa: S603  (arguments from our own Dockerfile)
            [str(uv), *command[1:], "--quiet"],
            cwd=workdir,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    probe = subprocess.run(  # noqa: S603
        [
            str(python),
            "-c",
            f"import {spec.module}.bootstrap, agora_core.grpc.probe, importlib.util; "
            "print(importlib.util.find_spec('pytest') is None)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "True", "a dev dependency reached the image"
    # Installed as packages, not as links back into the build directory.
    assert not list(venv.rglob("*.pth")) or all(
        str(workdir) not in p.read_text() for p in venv.rglob("*.pth")
    )
