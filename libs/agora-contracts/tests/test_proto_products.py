"""The protos as a product: buf lint and breaking checks against the last release,
TypeScript clients generated from them (fresh, and compiling under ``tsc --strict``),
and the ``.proto`` files shipped in the agora-contracts wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
TOOL = REPO_ROOT / "tools" / "proto_products.py"
PROTO = REPO_ROOT / "proto"

pytestmark = pytest.mark.unit


def products(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, str(TOOL), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_protos_pass_buf_lint_and_keep_compatible_with_the_last_release() -> None:
    result = products("lint")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_breaking_check_notices_a_deleted_field(tmp_path: Path) -> None:
    changed = tmp_path / "proto"
    shutil.copytree(PROTO, changed, ignore=shutil.ignore_patterns("released"))
    notifications = changed / "agora" / "notifications" / "v1" / "notifications.proto"
    text = notifications.read_text()
    assert "  string title = 3;\n" in text
    notifications.write_text(text.replace("  string title = 3;\n", "", 1))
    result = products("lint", "--proto-dir", str(changed))
    assert result.returncode == 1
    assert 'Previously present field "3" with name "title"' in result.stdout


def test_typescript_clients_match_the_protos() -> None:
    result = products("ts", "--check")
    assert result.returncode == 0, (
        "TypeScript clients are stale; run `make proto-ts`:\n" + result.stdout + result.stderr
    )


def test_typescript_clients_compile_under_tsc_strict() -> None:
    result = products("typecheck")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_contracts_wheel_ships_every_public_proto(tmp_path: Path) -> None:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    uv = cache / "agora" / "tools-uv-0.13.8" / "bin" / "uv"  # what tools/bootstrap.sh installs
    built = subprocess.run(  # noqa: S603 - fixed arguments
        [str(uv), "build", "--wheel", "-o", str(tmp_path), str(REPO_ROOT / "libs/agora-contracts")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("agora_contracts-*.whl")
    shipped = {name for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".proto")}
    public = {
        str(path.relative_to(PROTO))
        for path in PROTO.rglob("*.proto")
        if "testing" not in path.parts
    }
    assert shipped == public
