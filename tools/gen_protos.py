"""Regenerate the Python gRPC code for every ``proto/**/*.proto``.

Usage (from anywhere; paths are resolved from this file)::

    python tools/gen_protos.py          # rewrite libs/agora-contracts/src/agora/
    python tools/gen_protos.py --check  # exit 1 and list stale files, change nothing

Output goes to ``libs/agora-contracts/src/agora/`` (a namespace package owned entirely
by this generator, so files it no longer produces are deleted): ``*_pb2.py``,
``*_pb2_grpc.py`` and their mypy-protobuf ``.pyi`` stubs, importable as
``agora.<service>.v1.<file>_pb2``, and a copy of each ``.proto`` beside its modules
(shipped in the wheel). The result depends only on the pinned grpcio-tools
and mypy-protobuf versions, never on the machine or the order files are found in.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = REPO_ROOT / "proto"
CONTRACTS_SRC = REPO_ROOT / "libs" / "agora-contracts" / "src"
# Top-level proto package; everything under CONTRACTS_SRC/<it> is generated.
GENERATED_PACKAGE = "agora"
# PEP 561 marker written next to generated modules so installed stubs are used.
TYPED_MARKER = "py.typed"


def find_protos(proto_root: Path) -> list[Path]:
    """Every .proto under proto_root, relative to it, in a stable order."""
    return sorted(p.relative_to(proto_root) for p in proto_root.rglob("*.proto"))


def _plugin(name: str) -> Path:
    # Plugins are console scripts installed next to the interpreter running us (the
    # workspace venv); PATH is a fallback for unusual layouts.
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return candidate
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"gen_protos: plugin {name} not found (is mypy-protobuf installed?)")
    return Path(found)


def generate(out_dir: Path, proto_root: Path = PROTO_ROOT) -> list[Path]:
    """Run protoc on every proto into out_dir; return the generated files (relative)."""
    # Imported late so --help works without grpcio-tools; it ships no type information.
    from grpc_tools import protoc  # type: ignore[import-untyped]

    protos = find_protos(proto_root)
    if not protos:
        raise SystemExit(f"gen_protos: no .proto files under {proto_root}")
    well_known = resources.files("grpc_tools") / "_proto"
    args = [
        "grpc_tools.protoc",
        f"--proto_path={proto_root}",
        f"--proto_path={well_known}",
        f"--plugin=protoc-gen-mypy={_plugin('protoc-gen-mypy')}",
        f"--plugin=protoc-gen-mypy_grpc={_plugin('protoc-gen-mypy_grpc')}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        # "quiet" stops mypy-protobuf from printing a line per file it writes.
        f"--mypy_out=quiet:{out_dir}",
        f"--mypy_grpc_out=quiet:{out_dir}",
        *(p.as_posix() for p in protos),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("gen_protos: protoc failed (see the errors above)")
    generated = _files(out_dir)
    strays = [p for p in generated if p.relative_to(out_dir).parts[0] != GENERATED_PACKAGE]
    if strays:
        names = ", ".join(p.relative_to(out_dir).as_posix() for p in strays)
        raise SystemExit(f"gen_protos: protos must live under proto/{GENERATED_PACKAGE}/: {names}")
    for package_dir in {p.parent for p in generated}:
        (package_dir / TYPED_MARKER).write_bytes(b"")
    # The sources ship beside their modules (as googleapis-common-protos does), so the
    # agora-contracts wheel carries the contracts for clients in any language.
    for proto in protos:
        shutil.copyfile(proto_root / proto, out_dir / proto)
    return _files(out_dir)


def _files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def _relative_files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in _files(root)} if root.exists() else set()


def stale_files(fresh_root: Path, committed_root: Path) -> list[str]:
    """Describe every difference between a fresh generation and the committed tree."""
    fresh = _relative_files(fresh_root)
    committed = _relative_files(committed_root)

    def shown(rel: Path) -> str:
        path = committed_root / rel
        return (path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path).as_posix()

    problems = [f"missing: {shown(p)}" for p in sorted(fresh - committed)]
    problems += [f"not generated any more: {shown(p)}" for p in sorted(committed - fresh)]
    problems += [
        f"differs: {shown(p)}"
        for p in sorted(fresh & committed)
        if not filecmp.cmp(fresh_root / p, committed_root / p, shallow=False)
    ]
    return problems


def sync_tree(fresh_root: Path, target_root: Path) -> None:
    """Make target_root hold exactly the files of fresh_root (bytes included)."""
    fresh = _relative_files(fresh_root)
    for rel in _relative_files(target_root) - fresh:
        (target_root / rel).unlink()
    for rel in sorted(fresh):
        target = target_root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        data = (fresh_root / rel).read_bytes()
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    # Directories emptied by deletions would otherwise linger as empty namespace packages.
    for directory in sorted(target_root.rglob("*"), key=lambda d: len(d.parts), reverse=True):
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="generate into a temporary directory and exit 1 if the committed code differs",
    )
    options = parser.parse_args(argv)
    committed_root = CONTRACTS_SRC / GENERATED_PACKAGE
    with tempfile.TemporaryDirectory(prefix="agora-protos-") as tmp:
        out_dir = Path(tmp)
        generate(out_dir)
        fresh_root = out_dir / GENERATED_PACKAGE
        if options.check:
            problems = stale_files(fresh_root, committed_root)
            if problems:
                print(
                    "gen_protos: generated gRPC code is stale; run `python tools/gen_protos.py`"
                    " (or `make proto`) and commit the result:",
                    file=sys.stderr,
                )
                for problem in problems:
                    print(f"  {problem}", file=sys.stderr)
                return 1
            print("gen_protos: generated gRPC code is up to date")
            return 0
        sync_tree(fresh_root, committed_root)
    count = len(_relative_files(committed_root))
    print(f"gen_protos: wrote {count} files under {committed_root.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
