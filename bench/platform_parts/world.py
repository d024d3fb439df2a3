"""The private platform's environment, the processes to sample and the world the load
refers to: the tenant seeded through gRPC (the demo's content, the bench taxonomy, the
probe badge)."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from agora.catalog.v1 import catalog_pb2 as cat
from agora.gamification.v1 import gamification_pb2 as gam
from agora_contracts.events import REGISTRY
from agora_contracts.events.domains import learning
from agora_core.grpc.client import bearer_metadata
from agora_core.grpc.dev_tokens import mint_dev_token
from agora_demo.cast import INES
from agora_demo.content import THEMES as DEMO_THEMES
from agora_demo.narration import Narrator
from agora_demo.platform import Platform
from agora_demo.story import Demo
from agora_platform.config import PlatformConfig
from agora_platform.private import private_environ
from agora_platform.state import PlatformState
from bench.seeding import catalog as catalog_bench

ROOT = Path(__file__).resolve().parents[2]
TENANT = catalog_bench.TENANT  # the bulk seeders write this tenant
BURST_TENANT = "bench-burst"
PROBE_BADGE = "bench-probe"
console = Console(width=None if sys.stdout.isatty() else 160)

# ----------------------------------------------------------------------------- platform


def platform_env(state_dir: Path, outbox_scan_ms: int) -> dict[str, str]:
    """The caller's environment without its AGORA_ settings, plus free ports and the
    outbox relays' safety-net poll period (commits wake the relays; the poll is the
    backstop)."""
    services = ("catalog", "community", "gamification", "notifications")
    base = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_TEST_")}
    env = private_environ(state_dir, base, services)
    env.update(
        # The load sends many likes and comments per minute from one tenant.
        AGORA_COMMUNITY_RATE_LIMIT_LIKES="1000000",
        AGORA_COMMUNITY_RATE_LIMIT_POSTS="1000000",
    )
    for name in services:
        env[f"AGORA_{name.upper()}_OUTBOX_POLL_INTERVAL_MS"] = str(outbox_scan_ms)
    return env


@dataclass
class Processes:
    """The pids to sample: name → pid (a second gamification replica is added later)."""

    pids: dict[str, int]
    metrics: dict[str, str]

    @staticmethod
    def of(config: PlatformConfig, state: PlatformState) -> Processes:
        pids = {s.name: s.pid for s in state.services}
        for name, pid_file in (
            ("kafka", config.state_dir / "kafka" / "kafka.pid"),
            ("postgres", config.state_dir / "postgres" / "postgres.pid"),
        ):
            with contextlib.suppress(FileNotFoundError, ValueError):
                pids[name] = int(pid_file.read_text(encoding="utf-8").strip())
        return Processes(pids, {s.name: s.metrics_url for s in state.services})


# ------------------------------------------------------------------------------ seeding


@dataclass
class World:
    """What the load refers to."""

    demo_items: dict[str, str]
    bulk_items: list[str]
    learners: int
    secret: str
    tokens: dict[str, tuple[tuple[str, str]]] = field(default_factory=dict)
    # Shared by every level, so that no learner completes its seeded item twice and no
    # quiz taker runs out of attempts.
    completers: Iterator[int] = field(default_factory=itertools.count)
    social: Iterator[int] = field(default_factory=itertools.count)

    def as_(self, subject: str, roles: tuple[str, ...] = ("learner",)) -> tuple[tuple[str, str]]:
        """Call metadata of ``subject`` (cached: tokens are reused as a client would)."""
        if subject not in self.tokens:
            token = mint_dev_token(self.secret, subject, TENANT, roles, ttl=dt.timedelta(hours=4))
            self.tokens[subject] = bearer_metadata(token)
        return self.tokens[subject]


async def seed_through_grpc(p: Platform) -> dict[str, str]:
    """The demo's seeding (real RPCs), the bulk items' taxonomy and the probe badge."""
    demo = Demo(p, Narrator(Console(quiet=True)))
    await demo.seed()
    admin = p.as_(INES)
    demo_themes = {theme for theme, _, _ in DEMO_THEMES}
    for theme, parent in catalog_bench.THEMES:
        if theme in demo_themes:
            continue  # the demo defines it already (as a root: a move would be refused)
        await p.catalog.UpsertTheme(
            cat.UpsertThemeRequest(theme_id=theme, name=theme, parent_id=parent), metadata=admin
        )
    for skill in catalog_bench.SKILLS:
        await p.catalog.UpsertSkill(
            cat.UpsertSkillRequest(skill_id=skill, name=skill, expert_ids=["sofia"]),
            metadata=admin,
        )
    probe_item = demo.world.items["video"]
    # Only the probe item earns it, so every probe's first completion causes exactly one
    # badge_awarded notification (completion → gamification → notifications).
    await p.gamification.PutBadge(
        gam.PutBadgeRequest(
            badge=gam.Badge(
                badge_id=PROBE_BADGE,
                name="Benchmark probe",
                description="Completed the probe item.",
                image_url="https://badges.example/probe.png",
                criteria_narrative="Complete the probe item.",
                groups=[
                    gam.RequirementGroup(
                        requirements=[
                            gam.Requirement(
                                event_type=REGISTRY.spec_for(
                                    learning.KnowledgeCompletedV1
                                ).event_type,
                                count=1,
                                conditions=[
                                    gam.Condition(
                                        field="item_id", op="eq", value_json=f'"{probe_item}"'
                                    )
                                ],
                            )
                        ]
                    )
                ],
            )
        ),
        metadata=admin,
    )
    return dict(demo.world.items)
