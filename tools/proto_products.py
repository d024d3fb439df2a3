"""The protos as a product: TypeScript clients, buf lint, buf breaking, release snapshot.

Usage (from anywhere; paths are resolved from this file)::

    python tools/proto_products.py ts            # regenerate clients/typescript/src/gen
    python tools/proto_products.py ts --check    # exit 1 if the committed code is stale
    python tools/proto_products.py typecheck     # tsc --strict over the client package
    python tools/proto_products.py lint          # buf lint + buf breaking vs the release
    python tools/proto_products.py release       # snapshot proto/ as the released contracts
    python tools/proto_products.py install       # npm ci in clients/typescript if needed

Node packages (protoc-gen-es, buf, TypeScript) come from the npm registry at the
versions pinned in ``clients/typescript/package-lock.json`` (``npm ci``, once per
lock change). The release snapshot is ``proto/released/agora-contracts-<version>.binpb``
(a buf image) named after agora-contracts' version; ``buf breaking`` compares
``proto/`` with the newest one.
"""

from __future__ import annotations

import argparse
import filecmp
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CLIENTS = REPO_ROOT / "clients" / "typescript"
GENERATED = CLIENTS / "src" / "gen"
TEMPLATE = REPO_ROOT / "buf.gen.yaml"
RELEASED = REPO_ROOT / "proto" / "released"
CONTRACTS_PYPROJECT = REPO_ROOT / "libs" / "agora-contracts" / "pyproject.toml"
INSTALLED_LOCK = CLIENTS / "node_modules" / ".package-lock.json"


def _run(args: list[str], *, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603


def ensure_node_modules() -> None:
    """``npm ci`` when node_modules is missing or older than package-lock.json."""
    lock = CLIENTS / "package-lock.json"
    if INSTALLED_LOCK.exists() and INSTALLED_LOCK.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("proto_products: npm (Node.js 20+) is needed")
    # --ignore-scripts: buf's own postinstall only re-checks the binary npm installed.
    result = _run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=CLIENTS)
    if result.returncode != 0:
        raise SystemExit(f"proto_products: npm ci failed:\n{result.stdout}{result.stderr}")


def _bin(name: str) -> str:
    ensure_node_modules()
    return str(CLIENTS / "node_modules" / ".bin" / name)


def generate(out_dir: Path) -> None:
    """buf generate with the committed template, writing into ``out_dir``."""
    template = TEMPLATE.read_text().replace("out: clients/typescript/src/gen", f"out: {out_dir}")
    result = _run([_bin("buf"), "generate", "--template", template])
    if result.returncode != 0:
        raise SystemExit(f"proto_products: buf generate failed:\n{result.stderr}")


def stale_files(expected: Path, committed: Path) -> list[str]:
    """Files that differ, are missing or are extra in ``committed``."""
    expected_files = {p.relative_to(expected) for p in expected.rglob("*") if p.is_file()}
    committed_files = (
        {p.relative_to(committed) for p in committed.rglob("*") if p.is_file()}
        if committed.exists()
        else set()
    )
    stale = sorted(str(p) for p in expected_files ^ committed_files)
    for path in sorted(expected_files & committed_files):
        if not filecmp.cmp(expected / path, committed / path, shallow=False):
            stale.append(str(path))
    return stale


def typescript(check: bool) -> int:
    if not check:
        generate(GENERATED)
        print(f"proto_products: TypeScript clients written to {GENERATED}")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "gen"
        generate(fresh)
        stale = stale_files(fresh, GENERATED)
    if stale:
        print("stale TypeScript clients (run `make proto-ts`):", *stale, sep="\n  ")
        return 1
    return 0


def typecheck() -> int:
    result = _run([_bin("tsc"), "--noEmit", "-p", str(CLIENTS)])
    print(result.stdout + result.stderr, end="")
    return result.returncode


def contracts_version() -> str:
    match = re.search(r'^version = "([^"]+)"', CONTRACTS_PYPROJECT.read_text(), re.MULTILINE)
    if match is None:
        raise SystemExit(f"proto_products: no version in {CONTRACTS_PYPROJECT}")
    return match.group(1)


def latest_release() -> Path:
    def version_key(path: Path) -> tuple[int, ...]:
        version = path.stem.removeprefix("agora-contracts-")
        return tuple(int(part) for part in re.findall(r"\d+", version))

    releases = sorted(RELEASED.glob("agora-contracts-*.binpb"), key=version_key)
    if not releases:
        raise SystemExit(f"proto_products: no released contracts under {RELEASED}")
    return releases[-1]


def lint(proto_dir: Path | None = None) -> int:
    """buf lint, then buf breaking against the latest release; 0 when both pass."""
    buf = _bin("buf")
    target = ["."] if proto_dir is None else [str(proto_dir)]
    status = 0
    for command in (
        [buf, "lint", *target],
        [buf, "breaking", *target, "--against", str(latest_release())],
    ):
        result = _run(command)
        if result.returncode != 0:
            print(f"$ {' '.join(command[1:])}\n{result.stdout}{result.stderr}", end="")
            status = 1
    return status


def release() -> int:
    """Write the snapshot of this version's protos (once per release)."""
    path = RELEASED / f"agora-contracts-{contracts_version()}.binpb"
    if path.exists():
        raise SystemExit(f"proto_products: {path.name} exists; bump agora-contracts' version")
    RELEASED.mkdir(parents=True, exist_ok=True)
    result = _run([_bin("buf"), "build", "-o", str(path)])
    if result.returncode != 0:
        raise SystemExit(f"proto_products: buf build failed:\n{result.stderr}")
    print(f"proto_products: released contracts snapshot {path}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["ts", "typecheck", "lint", "release", "install"])
    parser.add_argument("--check", action="store_true", help="ts: report stale files only")
    parser.add_argument("--proto-dir", type=Path, help="lint: a buf module other than proto/")
    args = parser.parse_args()
    if args.action == "ts":
        return typescript(args.check)
    if args.action == "typecheck":
        return typecheck()
    if args.action == "lint":
        return lint(args.proto_dir)
    if args.action == "install":
        ensure_node_modules()
        return 0
    return release()


if __name__ == "__main__":
    sys.exit(main())
