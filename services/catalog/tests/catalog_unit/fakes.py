"""In-memory fakes of the catalog's own ports (no I/O): one class per repository
protocol over a shared state, and a unit of work that keeps its changes and events
only if it ends without an exception (like a transaction)."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agora_catalog.domain.model import (
    Assignment,
    Enrolment,
    Item,
    ItemVersion,
    Path,
    Progress,
    QuizAttempt,
    Skill,
    Theme,
)
from agora_catalog.domain.search import SearchQuery, query_words
from agora_core.messaging.events import OutgoingEvent
from agora_core.testing.request_ids import InMemoryRequestIds

Keyset = tuple[datetime, str]


@dataclass
class State:
    """Every tenant's rows, keyed by (tenant, id...), and the committed events."""

    themes: dict[tuple[str, str], Theme] = field(default_factory=dict)
    request_ids: dict[str, dict[tuple[str, str], tuple[str, str]]] = field(default_factory=dict)
    skills: dict[tuple[str, str], Skill] = field(default_factory=dict)
    settings: dict[str, bool] = field(default_factory=dict)
    items: dict[tuple[str, str], Item] = field(default_factory=dict)
    versions: dict[tuple[str, str, int], ItemVersion] = field(default_factory=dict)
    paths: dict[tuple[str, str], Path] = field(default_factory=dict)
    enrolments: dict[tuple[str, str, str], Enrolment] = field(default_factory=dict)
    progress: dict[tuple[str, str, str], Progress] = field(default_factory=dict)
    assignments: dict[tuple[str, str], Assignment] = field(default_factory=dict)
    attempts: dict[tuple[str, str, str, int], QuizAttempt] = field(default_factory=dict)
    events: list[OutgoingEvent] = field(default_factory=list)


class _Repo:
    def __init__(self, state: State, tenant: str) -> None:
        self.s = state
        self.t = tenant


class FakeTaxonomy(_Repo):
    async def themes_by_id(self, theme_ids: Sequence[str]) -> dict[str, Theme]:
        return {i: self.s.themes[(self.t, i)] for i in theme_ids if (self.t, i) in self.s.themes}

    async def save_theme(self, theme: Theme) -> None:
        self.s.themes[(self.t, theme.theme_id)] = theme

    async def list_themes(self) -> list[Theme]:
        return [v for k, v in sorted(self.s.themes.items()) if k[0] == self.t]

    async def save_skill(self, skill: Skill) -> None:
        self.s.skills[(self.t, skill.skill_id)] = skill

    async def list_skills(self, skill_id: str | None = None) -> list[Skill]:
        return [
            v
            for k, v in sorted(self.s.skills.items())
            if k[0] == self.t and skill_id in (None, k[1])
        ]

    async def skills_by_id(self, skill_ids: Sequence[str]) -> dict[str, Skill]:
        return {i: self.s.skills[(self.t, i)] for i in skill_ids if (self.t, i) in self.s.skills}

    async def skills_reviewed_by(self, person_id: str) -> list[str]:
        return [s.skill_id for s in await self.list_skills() if person_id in s.reviewer_ids]

    async def informal_publishing_allowed(self) -> bool:
        return self.s.settings.get(self.t, False)

    async def allow_informal_publishing(self, allowed: bool) -> None:
        self.s.settings[self.t] = allowed


class FakeItems(_Repo):
    async def add(self, item: Item) -> None:
        self.s.items[(self.t, item.item_id)] = item

    async def save(self, item: Item) -> None:
        self.s.items[(self.t, item.item_id)] = item

    async def get(self, item_id: str, *, for_update: bool = False) -> Item | None:
        return self.s.items.get((self.t, item_id))

    async def get_many(self, item_ids: Sequence[str]) -> dict[str, Item]:
        return {i: self.s.items[(self.t, i)] for i in item_ids if (self.t, i) in self.s.items}

    async def add_version(self, item: Item, editor_id: str) -> None:
        f = item.fields
        version = ItemVersion(item.version, f.title, f.summary, editor_id, item.update_time)
        self.s.versions[(self.t, item.item_id, item.version)] = version

    async def versions(self, item_id: str) -> list[ItemVersion]:
        found = [v for k, v in self.s.versions.items() if k[:2] == (self.t, item_id)]
        return sorted(found, key=lambda v: -v.version)

    async def review_queue(
        self,
        skill_ids: Sequence[str] | None,
        exclude_author: str | None,
        after: Keyset | None,
        limit: int,
    ) -> list[Item]:
        found = [
            i
            for k, i in self.s.items.items()
            if k[0] == self.t
            and i.status == "submitted"
            and (skill_ids is None or set(skill_ids) & set(i.fields.skill_ids))
            and i.author_id != exclude_author
            and (after is None or (i.sort_time, i.item_id) > after)
        ]
        return sorted(found, key=lambda i: (i.sort_time, i.item_id))[:limit]

    async def register_seat(self, item_id: str, learner_id: str) -> Item | None:
        item = self.s.items[(self.t, item_id)]
        if not item.seats_left or learner_id in item.registered_ids:
            return None
        taken = dataclasses.replace(
            item, registered_ids=(*item.registered_ids, learner_id), seats_left=item.seats_left - 1
        )
        self.s.items[(self.t, item_id)] = taken
        return taken

    async def release_seat(self, item_id: str, learner_id: str) -> Item | None:
        item = self.s.items[(self.t, item_id)]
        if learner_id not in item.registered_ids or item.seats_left is None:
            return None
        left = tuple(r for r in item.registered_ids if r != learner_id)
        freed = dataclasses.replace(item, registered_ids=left, seats_left=item.seats_left + 1)
        self.s.items[(self.t, item_id)] = freed
        return freed


class FakeSearch(_Repo):
    async def search(
        self,
        query: SearchQuery,
        *,
        ranked_at: datetime,
        fuzzy: bool,
        after: tuple[float | int | datetime, str] | None,
        limit: int,
    ) -> list[tuple[Item, float | int | datetime]]:
        """Status, author, and every word as a prefix of a word of the item; newest first."""
        found: list[tuple[Item, float | int | datetime]] = []
        for key, item in self.s.items.items():
            f = item.fields
            words = query_words(f"{f.title} {f.summary} {f.body}")
            if key[0] != self.t or item.status != query.where.status:
                continue
            if query.where.author_id not in (None, item.author_id):
                continue
            if all(any(w.startswith(q) for w in words) for q in query.words):
                found.append((item, item.sort_time))
        found.sort(key=lambda pair: (pair[0].sort_time, pair[0].item_id), reverse=True)
        return found[:limit]


class FakePaths(_Repo):
    async def add(self, path: Path) -> None:
        self.s.paths[(self.t, path.path_id)] = path

    async def get(self, path_id: str, *, for_update: bool = False) -> Path | None:
        return self.s.paths.get((self.t, path_id))

    async def set_status(self, path_id: str, status: str, at: datetime) -> Path:
        path = dataclasses.replace(self.s.paths[(self.t, path_id)], status=status)
        self.s.paths[(self.t, path_id)] = path
        return path

    async def list_published(
        self, onboarding_only: bool, after: Keyset | None, limit: int
    ) -> list[Path]:
        found = [
            p
            for k, p in self.s.paths.items()
            if k[0] == self.t and p.status == "published" and (p.onboarding or not onboarding_only)
        ]
        return sorted(found, key=lambda p: (p.create_time, p.path_id), reverse=True)[:limit]


class FakeEnrolments(_Repo):
    async def add(self, enrolment: Enrolment) -> bool:
        key = (self.t, enrolment.learner_id, enrolment.path_id)
        if key in self.s.enrolments:
            return False
        self.s.enrolments[key] = enrolment
        return True

    async def get(self, learner_id: str, path_id: str) -> Enrolment | None:
        return self.s.enrolments.get((self.t, learner_id, path_id))

    async def get_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Enrolment]:
        return {
            k: self.s.enrolments[(self.t, *k)] for k in keys if (self.t, *k) in self.s.enrolments
        }

    async def of_learner(self, learner_id: str) -> list[Enrolment]:
        return [e for k, e in self.s.enrolments.items() if k[:2] == (self.t, learner_id)]

    async def open_of_learners(self, learner_ids: Sequence[str]) -> list[Enrolment]:
        return [
            e for learner in learner_ids for e in await self.of_learner(learner) if not e.completed
        ]

    async def save_progress(self, enrolments: Sequence[Enrolment]) -> None:
        for e in enrolments:
            self.s.enrolments[(self.t, e.learner_id, e.path_id)] = e


class FakeProgress(_Repo):
    async def start(self, progress: Progress, skill_ids: Sequence[str]) -> bool:
        key = (self.t, progress.learner_id, progress.item_id)
        if key in self.s.progress:
            return False
        self.s.progress[key] = progress
        return True

    async def get(self, learner_id: str, item_id: str, *, for_update: bool = False) -> Progress:
        return self.s.progress[(self.t, learner_id, item_id)]

    async def save(self, progress: Progress, skill_ids: Sequence[str]) -> None:
        self.s.progress[(self.t, progress.learner_id, progress.item_id)] = progress

    async def page(self, learner_id: str, after: Keyset | None, limit: int) -> list[Progress]:
        found = [p for k, p in self.s.progress.items() if k[:2] == (self.t, learner_id)]
        return sorted(found, key=lambda p: (p.updated_at, p.item_id), reverse=True)[:limit]

    async def completed_items(self, learner_id: str, item_ids: Sequence[str]) -> list[str]:
        return [
            i
            for i in item_ids
            if (p := self.s.progress.get((self.t, learner_id, i))) is not None and p.completed
        ]

    async def get_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Progress]:
        return {k: self.s.progress[(self.t, *k)] for k in keys if (self.t, *k) in self.s.progress}


class FakeAssignments(_Repo):
    async def add(self, a: Assignment) -> bool:
        if (self.t, a.assignment_id) in self.s.assignments:
            return False
        self.s.assignments[(self.t, a.assignment_id)] = a
        return True

    async def get(self, assignment_id: str) -> Assignment | None:
        return self.s.assignments.get((self.t, assignment_id))

    async def page(
        self,
        *,
        learner_id: str | None = None,
        assigned_by: str | None = None,
        due_before: datetime | None = None,
        after: Keyset | None,
        limit: int,
    ) -> list[Assignment]:
        found = [
            a
            for k, a in self.s.assignments.items()
            if k[0] == self.t and learner_id in (None, a.learner_id)
            and assigned_by in (None, a.assigned_by)
        ]  # fmt: skip
        return sorted(found, key=lambda a: (a.assigned_at, a.assignment_id), reverse=True)[:limit]


class FakeQuizzes(_Repo):
    async def count(self, learner_id: str, item_id: str) -> int:
        return sum(1 for k in self.s.attempts if k[:3] == (self.t, learner_id, item_id))

    async def add(self, attempt: QuizAttempt) -> bool:
        key = (self.t, attempt.learner_id, attempt.item_id, attempt.number)
        if key in self.s.attempts:
            return False
        self.s.attempts[key] = attempt
        return True


class FakeReport(_Repo):
    async def counts(self, skill_ids: list[str]) -> dict[str, tuple[int, int, int, int]]:
        return dict.fromkeys(skill_ids, (0, 0, 0, 0))


class FakePopularity(_Repo):
    async def add_counts(
        self, target_type: str, deltas: Mapping[str, tuple[int, int]], comment_weight: int
    ) -> int:
        changed = 0
        for target, (likes, comments) in deltas.items():
            item = self.s.items.get((self.t, target))
            if target_type != "knowledge" or item is None:
                continue
            like_count = max(item.like_count + likes, 0)
            comment_count = max(item.comment_count + comments, 0)
            self.s.items[(self.t, target)] = dataclasses.replace(
                item,
                like_count=like_count,
                comment_count=comment_count,
                popularity=like_count + comment_weight * comment_count,
            )
            changed += 1
        return changed


class FakeUnitOfWork:
    """The UnitOfWork port for one tenant."""

    def __init__(self, state: State, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.taxonomy = FakeTaxonomy(state, tenant_id)
        self.items = FakeItems(state, tenant_id)
        self.search = FakeSearch(state, tenant_id)
        self.paths = FakePaths(state, tenant_id)
        self.enrolments = FakeEnrolments(state, tenant_id)
        self.progress = FakeProgress(state, tenant_id)
        self.assignments = FakeAssignments(state, tenant_id)
        self.quizzes = FakeQuizzes(state, tenant_id)
        self.report = FakeReport(state, tenant_id)
        self.popularity = FakePopularity(state, tenant_id)
        self.request_ids = InMemoryRequestIds(state.request_ids.setdefault(tenant_id, {}))
        self.pending: list[OutgoingEvent] = []

    def add_events(self, events: Sequence[OutgoingEvent]) -> None:
        self.pending.extend(events)


class FakeUnitOfWorkFactory:
    """Opens fake units of work over one shared state (the UnitOfWorkFactory port)."""

    def __init__(self) -> None:
        self.state = State()

    @asynccontextmanager
    async def __call__(
        self, tenant_id: str, *, pipelined: bool = False
    ) -> AsyncIterator[FakeUnitOfWork]:
        before = copy.deepcopy(self.state)
        uow = FakeUnitOfWork(self.state, tenant_id)
        try:
            yield uow
        except BaseException:
            self.state.__dict__.update(before.__dict__)  # rolled back: nothing kept
            raise
        self.state.events.extend(uow.pending)

    def event_kinds(self) -> list[str]:
        """``entity.verb`` of every committed event, in order."""
        return [".".join(e.headers["ce_type"].split(".")[-3:-1]) for e in self.state.events]

    def payloads(self, kind: str) -> list[dict[str, Any]]:
        import json

        return [
            json.loads(e.value)
            for e in self.state.events
            if ".".join(e.headers["ce_type"].split(".")[-3:-1]) == kind
        ]
