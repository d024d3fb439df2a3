"""The load mix: event-causing calls and reads through the platform's gRPC stubs, the
probe (completion → points → inbox), the recorder of latencies and errors, open-loop
pacing."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
import grpc.aio

from agora.catalog.v1 import catalog_pb2 as cat
from agora.community.v1 import community_pb2 as com
from agora.gamification.v1 import gamification_pb2 as gam
from agora.notifications.v1 import notifications_pb2 as notif
from agora_demo.content import GDPR, QUIZ_KEY, QUIZ_ONE_WRONG
from agora_demo.platform import Platform
from bench.platform_parts.world import World, console

PROBE_WAIT_SECONDS = 30.0
"""How long a probe waits for its points (and half that again for its notification)."""

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


def weighted(mix: Mapping[str, int], n: int) -> str:
    """The n-th kind of a deterministic interleaving with ``mix``'s shares."""
    kinds = [k for k, share in mix.items() for _ in range(share)]
    return kinds[(n * 37) % len(kinds)]  # 37 is coprime with the totals (100)
