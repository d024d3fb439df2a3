"""A PostgreSQL server of one test's own (deploy/local/postgres.sh in a temporary
state directory, on a free port), for scenarios that stop and start the server."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

from agora_core.testing import free_port

ROOT = Path(__file__).resolve().parents[4]
SCRIPT = ROOT / "deploy" / "local" / "postgres.sh"


@dataclass
class PrivatePostgres:
    state_dir: Path
    port: int

    @classmethod
    def in_dir(cls, state_dir: Path) -> PrivatePostgres:
        return cls(state_dir, free_port())

    @property
    def catalog_dsn(self) -> str:
        """The catalog's database and role (provisioned by the script on every start)."""
        return f"postgresql://agora_catalog:agora-local-catalog@127.0.0.1:{self.port}/agora_catalog"

    async def _run(self, command: str) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AGORA_")},
            "AGORA_LOCAL_DIR": str(self.state_dir),
            "AGORA_POSTGRES_PORT": str(self.port),
        }
        process = await asyncio.create_subprocess_exec(
            "bash",
            str(SCRIPT),
            command,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"postgres.sh {command} failed:\n{out.decode()}")

    async def start(self) -> None:
        await self._run("start")

    async def stop(self) -> None:
        await self._run("stop")
