"""End-to-end benchmark: the whole platform as separate processes under a load mix.

    python -m bench.platform_e2e [--quick] [--learners N] [--items N] [--levels 5,20,50]
                                 [--duration S] [--replicas 1,2]      (make bench-platform)

Starts a private platform with agora-platform's supervisor (its own state directory
under /tmp and free loopback ports: Kafka, PostgreSQL and the four services, each its own
process), so it never touches a platform or test infrastructure already running. Then:

1. seeds a tenant: the demo's reference content through gRPC (agora-demo's seeding:
   people, themes, skills, a badge, spaces, seven items of every kind, a path), plus
   a probe badge; then bulk-loads ``--items`` published items (built by the catalog's
   own item code, indexed by its batched search apply, as ``bench/catalog.py`` does),
   one started progress document per learner (``--learners``), and the gamification
   board of those learners (score documents and rank index as ``bench/gamification.py``
   builds them, profiles through the service's ``profile_fields``);
2. baselines on the same broker and database: raw pipelined aiokafka produce and raw
   consume of knowledge.completed CloudEvents, raw batched inserts and primary-key reads;
3. for each gamification replica count (one, then two processes in one group) and each
   ``--levels`` rate, ``--duration`` seconds of open-loop load through gRPC: event
   causing calls (completions, progress, quiz attempts, likes, comments, questions)
   at the level's rate, reads (search, leaderboard top-10 and around-me, inbox,
   profile) at half that rate, and a probe every ``--probe-interval`` seconds: a fresh
   learner completes the probe item and the time until GetProfile shows the points and
   until the inbox shows the probe badge's notification is recorded;
4. after the levels of each replica count, a burst of completions produced straight to
   the topic, to measure how fast each consumer drains it beside raw consumption.

Throughout, every service's /metrics (``agora_events_consumed_total``,
``agora_consumer_lag``) and every process's VmRSS are sampled every two seconds.
Prints rich tables, compares with the issue's goals and writes
``bench/reports/platform.json`` and ``platform.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import grpc.aio
import psycopg
from aiokafka import AIOKafkaProducer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from agora.catalog.v1 import catalog_pb2 as cat
from agora.community.v1 import community_pb2 as com
from agora.gamification.v1 import gamification_pb2 as gam
from agora.notifications.v1 import notifications_pb2 as notif
from agora_contracts.events import REGISTRY
from agora_contracts.events.domains import learning
from agora_core.grpc.client import bearer_metadata
from agora_core.grpc.dev_tokens import mint_dev_token
from agora_core.postgres import Database, create_pool
from agora_core.testing.event_tap import ensure_topics
from agora_demo.cast import INES
from agora_demo.content import GDPR, QUIZ_KEY, QUIZ_ONE_WRONG
from agora_demo.content import THEMES as DEMO_THEMES
from agora_demo.narration import Narrator
from agora_demo.platform import Platform
from agora_demo.story import Demo
from agora_platform import supervisor
from agora_platform.config import PlatformConfig, load_config
from agora_platform.private import private_environ
from agora_platform.processes import terminate
from agora_platform.state import PlatformState
from bench import SMOKE_HELP, platform_report, report_stem, reports_dir
from bench import gamification as gamification_bench
from bench.gamification_parts import board as gamification_board
from bench.platform_parts.replica import start_replica
from bench.seeding import catalog as catalog_bench

ROOT = Path(__file__).resolve().parents[1]
TENANT = catalog_bench.TENANT  # the bulk seeders write this tenant
BURST_TENANT = "bench-burst"
PROBE_BADGE = "bench-probe"
SAMPLE_SECONDS = 2.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PROBE_WAIT_SECONDS = 30.0
"""How long a probe waits for its points (and half that again for its notification)."""
console = Console(width=None if sys.stdout.isatty() else 160)

# Event-causing calls and their share of the level's rate: mostly learning, then the
# social side, as on a platform in use (completions dominate points and notifications).
WRITE_MIX = {
    "complete": 35,
    "progress": 25,
    "quiz": 10,
    "like": 15,
    "comment": 10,
    "question": 5,
}
READ_MIX = {
    "search": 25,
    "leaderboard_top10": 20,
    "leaderboard_around_me": 20,
    "inbox": 15,
    "profile": 20,
}
SEARCH_WORDS = ("données", "sécurité", "formation", "gestion", "management", "python", "vente")


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


def board_scores(learners: int) -> list[gamification_board.Seeded]:
    """The learners' all-time scores, distributed as in ``bench/gamification.py``."""
    return gamification_board.seeded_scores(learners, prefix="u-learner-")


async def bulk_load_board(config: PlatformConfig, learners: int) -> dict[str, Any]:
    """The learners' board, profiles and one ledger entry each, in gamification's own
    database (``unnest`` inserts, ``bench/gamification_parts/board.py``). Before anything
    else reaches gamification: later points (the demo's seeding, the load) move
    through the service's own write path."""
    dsn = config.postgres_dsn("gamification")
    pool = create_pool(dsn, application_name="agora-bench-platform", max_size=2)
    await pool.open()
    try:
        with console.status(f"loading {learners:,} gamification learners"):
            rate = await gamification_board.seed(
                Database(pool), dsn, TENANT, board_scores(learners)
            )
    finally:
        await pool.close()
    return {"board_learners_per_s": round(rate, 1)}


async def bulk_load_catalog(config: PlatformConfig, items: int, learners: int) -> dict[str, Any]:
    """Items and progress, written with the catalog's own code into the platform
    catalog's PostgreSQL database (see the module docstring); returns the item ids and
    the rates. The running catalog process stays the only consumer and relay."""
    loaded: dict[str, Any] = {}
    pool = create_pool(config.postgres_dsn("catalog"), application_name="agora-bench-e2e")
    await pool.open()
    try:
        database = Database(pool)
        rng = random.Random(42)  # noqa: S311 - reproducible benchmark data
        began = time.perf_counter()
        ids = await catalog_bench.seed_items(database, items, rng, catalog_bench.Words(rng))
        loaded["items_per_s"] = round(items / (time.perf_counter() - began), 1)
        began = time.perf_counter()
        with console.status(f"loading {learners:,} progress rows"):
            await catalog_bench.seed_learners(database, ids, learners)
        loaded["progress_docs_per_s"] = round(learners / (time.perf_counter() - began), 1)
    finally:
        await pool.close()
    return {"bulk_item_ids": ids, **loaded}


# ---------------------------------------------------------------------------- baselines


async def raw_database_baseline(dsn: str, docs: int, reads: int) -> dict[str, Any]:
    """Raw batched ``INSERT`` (rows/s) and primary-key reads (ms) on the same PostgreSQL
    (a scratch table in the catalog's database, dropped afterwards)."""
    table = f"bench_e2e_raw_{uuid.uuid4().hex[:6]}"
    words = catalog_bench.Words(random.Random(5))  # noqa: S311 - benchmark data
    rows = [(f"raw-{n}", TENANT, words.text(5), words.text(60)) for n in range(docs)]
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        await connection.execute(
            sql.SQL(
                "CREATE TABLE {} (id text PRIMARY KEY, tenant_id text, title text, body text)"
            ).format(sql.Identifier(table))
        )
        try:
            insert = sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(sql.Identifier(table))
            began = time.perf_counter()
            for at in range(0, docs, 500):
                async with connection.transaction(), connection.cursor() as cursor:
                    await cursor.executemany(insert, rows[at : at + 500])
            insert_rate = docs / (time.perf_counter() - began)
            select = sql.SQL("SELECT * FROM {} WHERE id = %s").format(sql.Identifier(table))
            rng = random.Random(3)  # noqa: S311 - benchmark data
            samples = []
            for _ in range(reads):
                started = time.perf_counter()
                await (await connection.execute(select, (f"raw-{rng.randrange(docs)}",))).fetchone()
                samples.append((time.perf_counter() - started) * 1000)
        finally:
            await connection.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(table)))
    return {
        "raw_insert_per_s": round(insert_rate, 1),
        "raw_id_read_ms": platform_report.summary(samples),
    }


async def raw_kafka_baseline(kafka: str, count: int) -> dict[str, float]:
    """Raw pipelined aiokafka produce, then raw consume, of ``count`` knowledge.completed
    CloudEvents (the burst's records) on a scratch topic of the same broker."""
    topic = f"bench.e2e.raw.{uuid.uuid4().hex[:6]}"
    await ensure_topics(kafka, [topic])
    events = gamification_bench.completions(BURST_TENANT, count, 5000)
    producer = AIOKafkaProducer(bootstrap_servers=kafka, linger_ms=10, acks="all")
    await producer.start()
    try:
        began = time.perf_counter()
        futures = [
            await producer.send(
                topic,
                e.value,
                key=e.key.encode(),
                headers=[(k, v.encode()) for k, v in e.headers.items()],
            )
            for e in events
        ]
        await asyncio.gather(*futures)
        produce_rate = count / (time.perf_counter() - began)
        partitions = await producer.partitions_for(topic)
    finally:
        await producer.stop()
    start = {TopicPartition(topic, p): 0 for p in partitions}
    consume_rate = await gamification_bench.raw_consume(kafka, start, count)
    return {
        "raw_produce_per_s": round(produce_rate, 1),
        "raw_consume_per_s": round(consume_rate, 1),
    }


# ----------------------------------------------------------------------------- sampling


async def scrape(http: aiohttp.ClientSession, url: str) -> tuple[float, float, dict[str, float]]:
    """(events consumed, consumer lag, consumed per topic) from one /metrics page."""
    async with http.get(url) as response:
        text = await response.text()
    consumed = lag = 0.0
    per_topic: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "agora_events_consumed_total":
                consumed += sample.value
                topic = sample.labels.get("topic", "")
                per_topic[topic] = per_topic.get(topic, 0.0) + sample.value
            elif sample.name == "agora_consumer_lag":
                lag += sample.value
    return consumed, lag, per_topic


def _stat_fields(path: Path) -> list[str]:
    # Fields after the command (which may hold spaces) end at its closing parenthesis:
    # [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime.
    return path.read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and its children, in seconds (0 if gone).

    PostgreSQL does its work in backends, children of the sampled postmaster: the live
    ones are summed, and the ones that exited are in the postmaster's waited-for
    children's times (cutime, cstime)."""
    try:
        own = _stat_fields(Path(f"/proc/{pid}/stat"))
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return 0.0
    ticks = sum(int(own[i]) for i in (11, 12, 13, 14))
    for path in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            fields = _stat_fields(path)
            if int(fields[1]) == pid:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` in MB (0 if it is gone)."""
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Sampler:
    """Every SAMPLE_SECONDS: lag per service, RSS per process, labelled with the phase."""

    processes: Processes
    http: aiohttp.ClientSession
    phase: str = "idle"
    began: float = field(default_factory=time.monotonic)
    t: list[float] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    lag: dict[str, list[float]] = field(default_factory=dict)
    rss: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    """Per process, % of one core since the previous sample (which resource saturates)."""
    load: list[float] = field(default_factory=list)
    """The machine's one-minute load average at each sample (other users included)."""
    _cpu_last: dict[str, tuple[float, float]] = field(default_factory=dict)

    async def counters(self) -> dict[str, tuple[float, dict[str, float]]]:
        """Events consumed so far per service (replicas summed), total and per topic."""
        out: dict[str, tuple[float, dict[str, float]]] = {}
        # A copy: a replica joins the dictionaries while a scrape below is awaited.
        for name, url in list(self.processes.metrics.items()):
            service = name.split("#")[0]
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                consumed, _, topics = await scrape(self.http, url)
                total, merged = out.get(service, (0.0, {}))
                for topic, value in topics.items():
                    merged[topic] = merged.get(topic, 0.0) + value
                out[service] = (total + consumed, merged)
        return out

    async def sample(self) -> None:
        lags: dict[str, float] = {}
        for name, url in list(self.processes.metrics.items()):
            service = name.split("#")[0]
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                _, lag, _ = await scrape(self.http, url)
                lags[service] = lags.get(service, 0.0) + lag
        n = len(self.t)
        self.t.append(round(time.monotonic() - self.began, 1))
        self.phases.append(self.phase)
        for name, value in lags.items():
            self.lag.setdefault(name, [0.0] * n).append(value)
        self.load.append(round(os.getloadavg()[0], 2))
        for name, pid in list(self.processes.pids.items()):
            self.rss.setdefault(name, [0.0] * n).append(round(rss_mb(pid), 1))
            now, used = time.monotonic(), cpu_seconds(pid)
            last_at, last_used = self._cpu_last.get(name, (now, used))
            self._cpu_last[name] = (now, used)
            share = 100 * (used - last_used) / (now - last_at) if now > last_at else 0.0
            self.cpu.setdefault(name, [0.0] * n).append(round(share, 1))
        for values in (*self.lag.values(), *self.rss.values(), *self.cpu.values()):
            if len(values) < n + 1:
                values.append(values[-1] if values else 0.0)

    async def run(self) -> None:
        while True:
            await self.sample()
            await asyncio.sleep(SAMPLE_SECONDS)

    @staticmethod
    def check(task: asyncio.Task[None]) -> None:
        """Raise what stopped the sampling ``task``, if it stopped: a dead sampler would
        leave every later level with no lag and no RSS (it once died silently when the
        second replica joined)."""
        if task.done():
            task.result()

    def window(self, since: float) -> tuple[dict[str, float], dict[str, float]]:
        """(max lag, max RSS) per name among the samples taken after ``since``."""
        first = self._first(since)
        lag = {k: max(v[first:], default=0.0) for k, v in self.lag.items()}
        rss = {k: max(v[first:], default=0.0) for k, v in self.rss.items()}
        return lag, rss

    def cpu_window(self, since: float) -> dict[str, float]:
        """Mean % of one core per process, and the mean load average ("load"), among
        the samples taken after ``since``."""
        first = self._first(since)
        means = {k: round(statistics.fmean(v[first:]), 1) for k, v in self.cpu.items() if v[first:]}
        if self.load[first:]:
            means["load"] = round(statistics.fmean(self.load[first:]), 2)
        return means

    def _first(self, since: float) -> int:
        return next((i for i, t in enumerate(self.t) if t >= since), len(self.t))

    def series(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "phase": self.phases,
            "lag": self.lag,
            "rss_mb": self.rss,
            "cpu_pct": self.cpu,
            "load_average": self.load,
        }


# --------------------------------------------------------------------------------- load


@dataclass
class Recorder:
    """Latencies of every call kind and errors by (kind, status)."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    made: int = 0

    async def timed(self, kind: str, call: Awaitable[Any]) -> None:
        started = time.perf_counter()
        self.made += 1
        try:
            await call
        except grpc.aio.AioRpcError as error:
            key = f"{kind}:{error.code().name}"
            self.errors[key] = self.errors.get(key, 0) + 1
            return
        self.latencies.setdefault(kind, []).append((time.perf_counter() - started) * 1000)


class Load:
    """The calls of the mix, each a coroutine factory on the platform's stubs."""

    def __init__(self, p: Platform, world: World, seed: int) -> None:
        self.p = p
        self.w = world
        self.rng = random.Random(seed)  # noqa: S311 - load shape, not security
        # Completion learners come from the start of the seeded range, progress from
        # its end half.
        self.completer = world.completers
        self.social = world.social
        self.targets = [world.demo_items[k] for k in sorted(world.demo_items)]

    def _learner(self, n: int) -> str:
        return f"u-learner-{n % self.w.learners}"

    def _target(self, n: int) -> com.Target:
        return com.Target(type=com.TARGET_TYPE_KNOWLEDGE, id=self.targets[n % len(self.targets)])

    async def write(self, kind: str) -> None:
        p, w = self.p, self.w
        if kind == "complete":
            n = next(self.completer)
            item = w.bulk_items[n % len(w.bulk_items)]
            await p.catalog.CompleteItem(
                cat.CompleteItemRequest(item_id=item), metadata=w.as_(self._learner(n))
            )
        elif kind == "progress":
            n = w.learners - 1 - self.rng.randrange(max(1, w.learners // 2))
            await p.catalog.RecordProgress(
                cat.RecordProgressRequest(
                    item_id=w.bulk_items[n % len(w.bulk_items)],
                    percent=self.rng.randint(11, 95),
                    last_position=f"{self.rng.randint(0, 59):02d}:00",
                ),
                metadata=w.as_(self._learner(n)),
            )
        elif kind == "quiz":
            who = w.as_(f"u-quiz-{next(self.social)}")
            quiz = w.demo_items["quiz"]
            await p.catalog.StartItem(cat.StartItemRequest(item_id=quiz), metadata=who)
            answers = QUIZ_KEY if self.rng.random() < 0.7 else QUIZ_ONE_WRONG
            await p.catalog.SubmitQuizAttempt(
                cat.SubmitQuizAttemptRequest(
                    item_id=quiz,
                    answers=[
                        cat.QuizAnswer(question_id=q, choice_ids=c) for q, c in answers.items()
                    ],
                ),
                metadata=who,
            )
        elif kind == "like":
            n = next(self.social)
            await p.community.Like(
                com.LikeRequest(target=self._target(n)), metadata=w.as_(self._learner(n))
            )
        elif kind == "comment":
            n = next(self.social)
            await p.community.PostComment(
                com.PostCommentRequest(
                    target=self._target(n),
                    body=f"Retour d'expérience n°{n} : très utile pour notre équipe.",
                ),
                metadata=w.as_(self._learner(n)),
            )
        elif kind == "question":
            n = next(self.social)
            await p.community.AskQuestion(
                com.AskQuestionRequest(
                    title=f"Question {n}: how long may we keep pseudonymised data?",
                    body="Our export is pseudonymised; is there a retention limit?",
                    skill_ids=[GDPR],
                ),
                metadata=w.as_(self._learner(n)),
            )

    async def read(self, kind: str) -> None:
        p, w = self.p, self.w
        me = self._learner(self.rng.randrange(w.learners))
        if kind == "search":
            await p.catalog.SearchItems(
                cat.SearchItemsRequest(query=self.rng.choice(SEARCH_WORDS), page_size=20),
                metadata=w.as_(me),
            )
        elif kind == "leaderboard_top10":
            await p.gamification.GetLeaderboard(
                gam.GetLeaderboardRequest(
                    scope=gam.BOARD_SCOPE_TENANT, period=gam.PERIOD_ALL_TIME, top_n=10
                ),
                metadata=w.as_(me),
            )
        elif kind == "leaderboard_around_me":
            await p.gamification.GetLeaderboard(
                gam.GetLeaderboardRequest(
                    scope=gam.BOARD_SCOPE_TENANT,
                    period=gam.PERIOD_ALL_TIME,
                    top_n=1,
                    around_me=True,
                    neighbours=5,
                ),
                metadata=w.as_(me),
            )
        elif kind == "inbox":
            await p.notifications.ListInbox(
                notif.ListInboxRequest(page_size=20), metadata=w.as_(me)
            )
        elif kind == "profile":
            await p.gamification.GetProfile(
                gam.GetProfileRequest(learner_id=me), metadata=w.as_(me)
            )

    async def probe(self, learner: str, points: list[float], inbox: list[float]) -> bool:
        """A fresh learner completes the probe item; ms until its points show over
        GetProfile, then until the probe badge's notification is in its inbox."""
        p, w = self.p, self.w
        who = w.as_(learner)
        item = w.demo_items["video"]
        await p.catalog.StartItem(cat.StartItemRequest(item_id=item), metadata=who)
        began = time.perf_counter()
        await p.catalog.CompleteItem(cat.CompleteItemRequest(item_id=item), metadata=who)
        deadline = began + PROBE_WAIT_SECONDS
        while True:
            profile = await p.gamification.GetProfile(
                gam.GetProfileRequest(learner_id=learner), metadata=who
            )
            if profile.profile.points > 0:
                points.append((time.perf_counter() - began) * 1000)
                break
            if time.perf_counter() > deadline:
                return False
            await asyncio.sleep(poll_delay(time.perf_counter() - began))
        while True:
            reply = await p.notifications.ListInbox(
                notif.ListInboxRequest(page_size=20), metadata=who
            )
            if any(n.category == "badge_awarded" for n in reply.notifications):
                inbox.append((time.perf_counter() - began) * 1000)
                return True
            if time.perf_counter() > deadline + PROBE_WAIT_SECONDS / 2:
                return False
            await asyncio.sleep(poll_delay(time.perf_counter() - began))


def poll_delay(waited: float) -> float:
    """Seconds before the next poll of a probe that has waited ``waited`` s: 25 ms for
    the first half second (the goal is 200 ms), then 10% of the wait so far (at most
    0.5 s), so that polling a slow outcome does not itself load the platform."""
    return 0.025 if waited < 0.5 else min(0.5, waited / 10)


async def warm_up(p: Platform, world: World) -> None:
    """One call of each read before measuring: the catalog's first search of a tenant
    loads its search shards into the process (seconds at 10,000 items)."""
    load = Load(p, world, seed=0)
    with console.status("warming up (first search loads the tenant's search shards)"):
        for kind in READ_MIX:
            await load.read(kind)


async def paced(
    rate: float, seconds: float, call: Callable[[int], Coroutine[Any, Any, None]], limit: int
) -> int:
    """Open-loop: start ``call(n)`` every 1/``rate`` s for ``seconds`` (never waiting for
    an answer, as independent users do), at most ``limit`` in flight; returns the number
    skipped because the limit was reached."""
    if rate <= 0:
        return 0
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks: set[asyncio.Task[None]] = set()
    skipped = 0
    for n in itertools.count():
        at = start + n / rate
        if at >= start + seconds:
            break
        await asyncio.sleep(max(0.0, at - loop.time()))
        if len(tasks) >= limit:
            skipped += 1
            continue
        task = asyncio.create_task(call(n))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    return skipped


async def settle(sampler: Sampler, limit: float) -> float:
    """Wait until every consumer has caught up (total lag ≤ 5) or ``limit`` seconds
    pass, so that one level's backlog does not count against the next; seconds waited."""
    sampler.phase = "settle"
    began = time.monotonic()
    with console.status("consumers catching up"):
        while time.monotonic() - began < limit:
            await asyncio.sleep(SAMPLE_SECONDS)
            if sampler.t and sum(v[-1] for v in sampler.lag.values()) <= 5:
                break
    return round(time.monotonic() - began, 1)


def weighted(mix: Mapping[str, int], n: int) -> str:
    """The n-th kind of a deterministic interleaving with ``mix``'s shares."""
    kinds = [k for k, share in mix.items() for _ in range(share)]
    return kinds[(n * 37) % len(kinds)]  # 37 is coprime with the totals (100)


async def run_level(
    p: Platform,
    world: World,
    sampler: Sampler,
    replicas: int,
    level: int,
    seconds: float,
    probe_interval: float,
    progress: Progress,
) -> dict[str, Any]:
    """One load level; its figures."""
    load = Load(p, world, seed=level * 10 + replicas)
    recorder = Recorder()
    points: list[float] = []
    inbox: list[float] = []
    probes = itertools.count()
    sampler.phase = f"{replicas}x{level}/s"
    since = round(time.monotonic() - sampler.began, 1)
    before = await sampler.counters()
    began = time.monotonic()
    task = progress.add_task(f"{replicas} replica(s), {level} events/s", total=seconds)

    async def ticker() -> None:
        while True:
            await asyncio.sleep(1)
            progress.update(task, completed=min(seconds, time.monotonic() - began))

    async def probing() -> None:
        # One probe at a time, one every ``probe_interval`` s at most: the probes'
        # polling must stay a small part of the load they measure.
        while time.monotonic() - began < seconds:
            started = time.monotonic()
            learner = f"probe-{replicas}-{level}-{next(probes)}-{uuid.uuid4().hex[:4]}"
            try:
                if not await load.probe(learner, points, inbox):
                    recorder.errors["probe:timeout"] = recorder.errors.get("probe:timeout", 0) + 1
            except grpc.aio.AioRpcError as error:
                key = f"probe:{error.code().name}"
                recorder.errors[key] = recorder.errors.get(key, 0) + 1
            await asyncio.sleep(max(0.0, probe_interval - (time.monotonic() - started)))

    tick = asyncio.create_task(ticker())
    probing_task = asyncio.create_task(probing())
    try:
        skipped = await asyncio.gather(
            paced(
                level,
                seconds,
                lambda n: recorder.timed(k := weighted(WRITE_MIX, n), load.write(k)),
                limit=max(50, level * 4),
            ),
            paced(
                level / 2,
                seconds,
                lambda n: recorder.timed(k := weighted(READ_MIX, n), load.read(k)),
                limit=max(25, level * 2),
            ),
        )
        await probing_task
        elapsed = time.monotonic() - began
        after = await sampler.counters()
    finally:
        tick.cancel()
        progress.update(task, completed=seconds)
    lag, rss = sampler.window(since)
    cpu = sampler.cpu_window(since)
    consumed = {
        service: round((after[service][0] - before.get(service, (0.0, {}))[0]) / elapsed, 2)
        for service in after
    }
    probe_count = next(probes)
    return {
        "replicas": replicas,
        "level": level,
        "seconds": round(elapsed, 1),
        "achieved_per_s": round(recorder.made / seconds, 2),
        "skipped": sum(skipped),
        "errors": recorder.errors,
        "consumed_per_s": consumed,
        "writes_ms": {
            k: platform_report.summary(v) for k, v in recorder.latencies.items() if k in WRITE_MIX
        },
        "reads_ms": {k: platform_report.summary(recorder.latencies.get(k, [])) for k in READ_MIX},
        "points_visible_ms": platform_report.summary(points),
        "inbox_ms": platform_report.summary(inbox),
        "probes": probe_count,
        "probes_missing": probe_count - len(inbox),
        "lag_max": lag,
        "rss_mb_max": rss,
        "cpu_pct_mean": cpu,
    }


async def burst(
    kafka: str, sampler: Sampler, replicas: int, events: int, timeout: float
) -> dict[str, Any]:
    """Completions produced straight to the topic; each consumer's drain rate, and the
    raw produce/consume of the same records."""
    sampler.phase = f"{replicas}x burst"
    topic = learning.COMPLETIONS_TOPIC
    before = {s: topics.get(topic, 0.0) for s, (_, topics) in (await sampler.counters()).items()}
    batch = gamification_bench.completions(BURST_TENANT, events, 5000)
    began = time.perf_counter()
    start = await gamification_bench.produce(kafka, batch)
    produce_rate = events / (time.perf_counter() - began)
    rates: dict[str, float] = {}
    with console.status(f"{replicas} gamification replica(s): draining {events} completions"):
        while len(rates) < len(before) and time.perf_counter() - began < timeout:
            await asyncio.sleep(0.5)
            now = await sampler.counters()
            for service, (_, topics) in now.items():
                done = topics.get(topic, 0.0) - before.get(service, 0.0)
                if service not in rates and done >= events:
                    rates[service] = events / (time.perf_counter() - began)
        now = await sampler.counters()
        elapsed = time.perf_counter() - began
        for service, (_, topics) in now.items():
            # Not drained within the timeout: the rate of what it did handle.
            rates.setdefault(service, (topics.get(topic, 0.0) - before.get(service, 0.0)) / elapsed)
    raw = await gamification_bench.raw_consume(kafka, start, events)
    return {
        "replicas": replicas,
        "events": events,
        "per_s": {k: round(v, 2) for k, v in rates.items()},
        "raw_produce_per_s": round(produce_rate, 1),
        "raw_consume_per_s": round(raw, 1),
    }


# ---------------------------------------------------------------------------------- run


async def run(args: argparse.Namespace, config: PlatformConfig) -> platform_report.Report:
    report: platform_report.Report = {
        "meta": {
            "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "learners": args.learners,
            "items": args.items,
            "levels": args.levels,
            "duration_s": args.duration,
            "replicas": args.replicas,
            "quick": args.quick,
            "smoke": args.smoke,
            "outbox_scan_ms": args.outbox_scan_ms,
            "load_average_at_start": os.getloadavg(),
            "cpus": os.cpu_count(),
        },
        "runs": [],
        "capacity": [],
    }
    console.rule("[bold]platform up (private state dir, free ports)")
    result = await supervisor.up(config, console)
    state = result.state
    secret = state.dev_secret()
    processes = Processes.of(config, state)
    replica_pid: int | None = None
    async with (
        Platform(state, TENANT) as p,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
    ):
        console.rule("[bold]seeding")
        loaded = await bulk_load_board(config, args.learners)
        began = time.perf_counter()
        demo_items = await seed_through_grpc(p)
        grpc_seconds = time.perf_counter() - began
        loaded.update(await bulk_load_catalog(config, args.items, args.learners))
        bulk_ids = loaded.pop("bulk_item_ids")
        report["meta"]["seeded"] = {
            "through_grpc": "agora-demo seeding: 7 people, 3 themes, 2 skills, a badge, "
            f"2 spaces, {len(demo_items)} items (create/submit/claim/approve), a path; "
            f"bench taxonomy; the probe badge ({grpc_seconds:.0f} s)",
            "bulk_loaded": f"{args.items:,} published items (catalog item code + batched "
            f"search index apply), {args.learners:,} started progress documents, "
            f"{args.learners:,} gamification score documents + rank index + profiles",
            **loaded,
        }
        world = World(demo_items, bulk_ids, args.learners, secret)
        console.rule("[bold]baselines")
        report["baselines"] = await raw_database_baseline(config.postgres_dsn("catalog"), 5000, 300)
        report["baselines"].update(
            await raw_kafka_baseline(config.kafka_bootstrap, args.raw_messages)
        )
        await warm_up(p, world)
        sampler = Sampler(processes, http)
        sampling = asyncio.create_task(sampler.run())
        try:
            for replicas in args.replicas:
                if replicas == 2 and replica_pid is None:
                    sampler.phase = "replica start"
                    replica, replica_pid = await start_replica(
                        config, "gamification", secret, console
                    )
                    processes.pids["gamification#2"] = replica_pid
                    processes.metrics["gamification#2"] = replica.metrics_url
                    # The group rebalances onto two members: start measuring after it.
                    await settle(sampler, args.settle)
                console.rule(f"[bold]{replicas} gamification replica(s)")
                with Progress(
                    TextColumn("{task.description:<32}"),
                    BarColumn(),
                    TimeElapsedColumn(),
                    console=console,
                ) as progress:
                    for level in args.levels:
                        run_figures = await run_level(
                            p,
                            world,
                            sampler,
                            replicas,
                            level,
                            args.duration,
                            args.probe_interval,
                            progress,
                        )
                        Sampler.check(sampling)
                        report["runs"].append(run_figures)
                        console.log(
                            f"{replicas}x {level}/s: points p99 "
                            f"{run_figures['points_visible_ms']['p99']:.0f} ms, inbox p99 "
                            f"{run_figures['inbox_ms']['p99']:.0f} ms, consumed "
                            f"{run_figures['consumed_per_s']}"
                        )
                        run_figures["settle_s"] = await settle(sampler, args.settle)
                sampler.phase = "burst"
                report["capacity"].append(
                    await burst(
                        config.kafka_bootstrap, sampler, replicas, args.burst, args.burst_timeout
                    )
                )
                # What the burst left must not count against the next replica count.
                report["capacity"][-1]["settle_s"] = await settle(sampler, args.settle)
                Sampler.check(sampling)
        finally:
            sampling.cancel()
            if replica_pid is not None:
                await terminate(replica_pid, supervisor.STOP_GRACE_SECONDS)
        report["series"] = sampler.series()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a few minutes, small tenant")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument(
        "--levels", default="2,5,10", help="offered event-causing gRPC calls per second"
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds per level")
    parser.add_argument("--replicas", default="1,2", help="gamification replica counts")
    parser.add_argument("--probe-interval", type=float, default=2.0)
    parser.add_argument(
        "--settle",
        type=float,
        default=90,
        help="at most this many seconds between levels for the consumers to catch up",
    )
    parser.add_argument("--burst", type=int, default=300, help="completions per drain burst")
    parser.add_argument("--burst-timeout", type=float, default=150)
    parser.add_argument(
        "--raw-messages", type=int, default=20_000, help="messages of the raw Kafka baseline"
    )
    parser.add_argument(
        "--outbox-scan-ms",
        type=int,
        default=60_000,
        help="AGORA_<SVC>_OUTBOX_POLL_INTERVAL_MS of every service (service default 5000)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the state dir (logs, data)")
    if "--quick" in sys.argv[1:]:
        # Quick sizes are defaults too: a flag given with --quick still wins.
        parser.set_defaults(
            learners=2000,
            items=300,
            duration=20,
            burst=200,
            burst_timeout=90,
            settle=60,
            raw_messages=5000,
        )
    if "--smoke" in sys.argv[1:]:
        # Every phase (both replica counts, a level each, the bursts) at the least load
        # that still sends a probe through; the figures mean nothing.
        parser.set_defaults(
            learners=200,
            items=30,
            levels="2",
            duration=4,
            burst=20,
            burst_timeout=60,
            settle=20,
            raw_messages=500,
        )
    args = parser.parse_args()
    args.levels = [int(x) for x in str(args.levels).split(",") if x]
    args.replicas = [int(x) for x in str(args.replicas).split(",") if x]
    state_dir = Path(tempfile.mkdtemp(prefix="agora-bench-e2e-"))
    env = platform_env(state_dir, args.outbox_scan_ms)
    config = load_config(ROOT, env)
    reports = reports_dir()  # before the environment below drops AGORA_BENCH_REPORTS
    # The supervisor hands its own environment to the services (AGORA_<SVC>_* pass
    # through): make it the private platform's, so nothing of a caller's leaks in.
    os.environ.clear()
    os.environ.update(env)
    try:
        report = asyncio.run(run(args, config))
    finally:
        asyncio.run(supervisor.down(config, console))
        if args.keep:
            console.print(f"state kept in {state_dir}")
        else:
            shutil.rmtree(state_dir, ignore_errors=True)
    platform_report.print_tables(report, console)
    # --quick and --smoke never write over the committed full-size report.
    stem = report_stem("platform", smoke=args.smoke, quick=args.quick)
    reports.mkdir(parents=True, exist_ok=True)
    platform_report.write_json(report, reports / f"{stem}.json")
    platform_report.write_chart(report, reports / f"{stem}.png")
    console.print(f"report: {reports / stem}.json, chart: {reports / stem}.png")


if __name__ == "__main__":
    main()
