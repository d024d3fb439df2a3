"""External tools the deploy checks run, fetched from their registries and cached.

* ``helm``: built from its Go module with the machine's Go toolchain
  (``go install helm.sh/helm/v3/cmd/helm@<version>``) into
  ``~/.cache/agora/helm-<version>``.
* Prometheus' PromQL grammar ``@prometheus-io/lezer-promql`` (npm) into
  ``~/.cache/agora/lezer-promql-<version>``, run by ``promql_parse.mjs``.
* Debian's ``nginx`` (the server of the web app's image): its packages downloaded with
  ``apt-get download`` and unpacked, never installed (no service starts), into
  ``~/.cache/agora/nginx-debian``.

Each is fetched once per machine; a lock file keeps two test runs from building the
same tool at once.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

HELM_VERSION: Final = "v3.22.0"
LEZER_PROMQL_VERSION: Final = "0.315.0"
LEZER_PACKAGES: Final = (
    f"@prometheus-io/lezer-promql@{LEZER_PROMQL_VERSION}",
    "@lezer/lr@1.4.12",
    "@lezer/highlight@1.2.5",
)
CACHE: Final = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "agora"
PROMQL_SCRIPT: Final = Path(__file__).with_name("promql_parse.mjs")


class ToolUnavailable(RuntimeError):
    """A tool could not be fetched or built; the message says what to install."""


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{directory}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _run(
    command: Sequence[str],
    *,
    timeout: float,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> None:
    done = subprocess.run(  # noqa: S603  (fixed commands with pinned versions)
        list(command),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=env,
        cwd=cwd,
    )
    if done.returncode != 0:
        raise ToolUnavailable(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")


def helm() -> Path:
    """The pinned helm binary, built on first use (a few minutes; then cached)."""
    directory = CACHE / f"helm-{HELM_VERSION}"
    binary = directory / "helm"
    with _locked(directory):
        if not binary.exists():
            go = shutil.which("go")
            if go is None:
                raise ToolUnavailable("Go is needed to build helm (see README prerequisites)")
            _run(
                [go, "install", f"helm.sh/helm/v3/cmd/helm@{HELM_VERSION}"],
                env={**os.environ, "GOBIN": str(directory), "CGO_ENABLED": "0"},
                timeout=1800,
            )
    return binary


def lezer_promql() -> Path:
    """The directory whose ``node_modules`` holds Prometheus' PromQL grammar."""
    directory = CACHE / f"lezer-promql-{LEZER_PROMQL_VERSION}"
    marker = directory / "node_modules" / "@prometheus-io" / "lezer-promql" / "package.json"
    with _locked(directory):
        if not marker.exists():
            npm = shutil.which("npm")
            if npm is None:
                raise ToolUnavailable("npm (Node.js) is needed for the PromQL grammar")
            directory.mkdir(parents=True, exist_ok=True)
            _run(
                [
                    npm,
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(directory),
                    *LEZER_PACKAGES,
                ],
                timeout=600,
            )
    return directory


@dataclass(frozen=True)
class Nginx:
    """An unpacked nginx: the binary and the ``mime.types`` its packages ship."""

    binary: Path
    mime_types: Path


def nginx() -> Nginx:
    """Debian's nginx, unpacked from its packages on first use (then cached)."""
    directory = CACHE / "nginx-debian"
    found = Nginx(directory / "usr" / "sbin" / "nginx", directory / "etc" / "nginx" / "mime.types")
    with _locked(directory):
        if not found.binary.exists():
            apt, dpkg = shutil.which("apt-get"), shutil.which("dpkg-deb")
            if apt is None or dpkg is None:
                raise ToolUnavailable("apt-get and dpkg-deb are needed to fetch Debian's nginx")
            downloads = directory.with_name("nginx-debian.debs")
            shutil.rmtree(downloads, ignore_errors=True)
            downloads.mkdir(parents=True)
            _run([apt, "download", "nginx", "nginx-common"], timeout=300, cwd=downloads)
            for package in sorted(downloads.glob("*.deb")):
                _run([dpkg, "-x", str(package), str(directory)], timeout=120)
    return found


@dataclass(frozen=True)
class ParsedPromQL:
    """What the grammar found in one expression."""

    expression: str
    error_offsets: tuple[int, ...]
    metrics: frozenset[str]


def parse_promql(expressions: Sequence[str]) -> list[ParsedPromQL]:
    """Parse every expression with Prometheus' grammar (one Node.js process)."""
    node = shutil.which("node")
    if node is None:
        raise ToolUnavailable("Node.js is needed to parse PromQL")
    done = subprocess.run(  # noqa: S603
        [node, str(PROMQL_SCRIPT)],
        input=json.dumps(list(expressions)),
        env={**os.environ, "LEZER_PROMQL_DIR": str(lezer_promql())},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise ToolUnavailable(f"PromQL parser failed: {done.stderr[-3000:]}")
    return [
        ParsedPromQL(expression, tuple(result["errors"]), frozenset(result["metrics"]))
        for expression, result in zip(expressions, json.loads(done.stdout), strict=True)
    ]
