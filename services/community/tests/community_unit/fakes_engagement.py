"""In-memory fakes of the engagement ports: likes, popularity, questions, experts,
moderation, rate limits and erasure records; and the unit of work bundling them all."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime

from agora_community.domain.model import (
    Answer,
    Expert,
    Like,
    ModeratedContent,
    Question,
    Report,
    TargetKind,
)
from agora_community.domain.people import Person, name_keys
from agora_community.domain.rules import EXPERT_WEIGHTS, PopularityState
from agora_core.messaging.events import OutgoingEvent
from agora_core.testing.request_ids import InMemoryRequestIds

from .fakes import (
    FakeComments,
    FakeMemberships,
    FakeSpaces,
    FakeTargets,
    Tables,
    TimeKey,
    _Repo,
)


class FakeLikes(_Repo):
    async def activate(self, like: Like) -> bool:
        current = self.t.likes.get((like.kind, like.target_id, like.user_id))
        if current is not None and current.active:
            return False
        self.t.likes[(like.kind, like.target_id, like.user_id)] = like
        return True

    async def deactivate(
        self, kind: TargetKind, target_id: str, user_id: str, at: datetime
    ) -> Like | None:
        current = self.t.likes.get((kind, target_id, user_id))
        if current is None or not current.active:
            return None
        self.t.likes[(kind, target_id, user_id)] = replace(current, active=False, changed_at=at)
        return current

    async def liked(
        self, user_id: str, targets: Sequence[tuple[TargetKind, str]]
    ) -> set[tuple[TargetKind, str]]:
        return {
            (k, t)
            for k, t in targets
            if (like := self.t.likes.get((k, t, user_id))) is not None and like.active
        }


class FakePopularity(_Repo):
    async def add_participants(
        self, engagements: Sequence[tuple[str, str, str]]
    ) -> set[tuple[str, str, str]]:
        new = set()
        for key in engagements:
            if key not in self.t.participants:
                self.t.participants.add(key)
                new.add(key)
        return new

    async def lock_many(
        self, targets: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], PopularityState]:
        return {t: self.t.popularity.get(t, (PopularityState(), None))[0] for t in targets}

    async def save_many(
        self, states: Sequence[tuple[str, str, PopularityState, float | None]]
    ) -> None:
        for kind, target_id, state, rank in states:
            self.t.popularity[(kind, target_id)] = (state, rank)

    async def get_many(
        self, targets: Sequence[tuple[TargetKind, str]]
    ) -> dict[tuple[TargetKind, str], tuple[PopularityState, float | None]]:
        return {
            (k, t): self.t.popularity[(k.value, t)]
            for k, t in targets
            if (k.value, t) in self.t.popularity
        }

    async def trending(
        self, kind: TargetKind | None, limit: int
    ) -> list[tuple[TargetKind, str, PopularityState, float]]:
        ranked = [
            (TargetKind(k), t, state, rank)
            for (k, t), (state, rank) in self.t.popularity.items()
            if rank is not None and (kind is None or k == kind.value)
        ]
        ranked.sort(key=lambda row: (-row[3], row[0].value, row[1]))
        return ranked[:limit]


class FakeQuestions(_Repo):
    async def add(self, question: Question) -> None:
        self.t.questions[question.question_id] = question

    async def get(self, question_id: str) -> Question | None:
        return self.t.questions.get(question_id)

    async def count_answer(self, question_id: str) -> None:
        q = self.t.questions[question_id]
        self.t.questions[question_id] = replace(q, answer_count=q.answer_count + 1)

    async def accept(self, question_id: str, answer_id: str, at: datetime) -> Question | None:
        q = self.t.questions[question_id]
        if q.accepted_answer_id:
            return None
        self.t.questions[question_id] = replace(q, accepted_answer_id=answer_id)
        return self.t.questions[question_id]

    async def unanswered(
        self,
        *,
        skill_id: str | None,
        space_id: str | None,
        after: TimeKey | None,
        limit: int,
    ) -> list[Question]:
        found = sorted(
            (
                q
                for q in self.t.questions.values()
                if q.answer_count == 0
                and not q.hidden
                and (not skill_id or skill_id in q.skill_ids)
                and (not space_id or q.space_id == space_id)
                and (after is None or (q.create_time, q.question_id) > after)
            ),
            key=lambda q: (q.create_time, q.question_id),
        )
        return found[:limit]

    async def of_asker(
        self, asker_id: str, *, before: TimeKey | None, limit: int
    ) -> list[Question]:
        found = sorted(
            (
                q
                for q in self.t.questions.values()
                if q.asker_id == asker_id
                and (before is None or (q.create_time, q.question_id) < before)
            ),
            key=lambda q: (q.create_time, q.question_id),
            reverse=True,
        )
        return found[:limit]


class FakeAnswers(_Repo):
    async def add(self, answer: Answer) -> None:
        self.t.answers[answer.answer_id] = answer

    async def get(self, answer_id: str) -> Answer | None:
        return self.t.answers.get(answer_id)

    async def of_question(self, question_id: str, *, with_hidden: bool, limit: int) -> list[Answer]:
        found = [
            a
            for a in self.t.answers.values()
            if a.question_id == question_id and (with_hidden or not a.hidden)
        ]
        return sorted(found, key=lambda a: (a.create_time, a.answer_id))[:limit]

    async def upvote(self, answer_id: str, user_id: str, at: datetime) -> tuple[Answer, bool]:
        answer = self.t.answers[answer_id]
        if (answer_id, user_id) in self.t.votes:
            return answer, False
        self.t.votes.add((answer_id, user_id))
        self.t.answers[answer_id] = replace(answer, upvotes=answer.upvotes + 1)
        return self.t.answers[answer_id], True


class FakeExperts(_Repo):
    async def record(
        self, user_id: str, skill_ids: Sequence[str], counter: str, weight: float, evidence: str
    ) -> int:
        new = 0
        for skill in skill_ids:
            if (skill, user_id, evidence) in self.t.evidence:
                continue
            self.t.evidence.add((skill, user_id, evidence))
            row = self.t.experts.setdefault(
                (skill, user_id), {**dict.fromkeys(EXPERT_WEIGHTS, 0.0), "score": 0.0}
            )
            row[counter] += 1
            row["score"] += weight
            new += 1
        return new

    async def by_skill(
        self, skill_id: str, after: tuple[float, str] | None, limit: int
    ) -> list[Expert]:
        found = [
            Expert(
                skill,
                user,
                row["score"],
                int(row["validated_contributions"]),
                int(row["accepted_answers"]),
                int(row["completions"]),
                int(row["quiz_passes"]),
            )
            for (skill, user), row in self.t.experts.items()
            if skill == skill_id and row["score"] > 0
        ]
        found.sort(key=lambda e: (-e.score, e.user_id))
        return found[:limit]


class FakeReports(_Repo):
    async def add(self, report: Report) -> bool:
        if report.report_id in self.t.reports:
            return False
        self.t.reports[report.report_id] = report
        return True

    async def open_queue(
        self, space_id: str | None, after: TimeKey | None, limit: int
    ) -> list[Report]:
        found = [
            r
            for r in self.t.reports.values()
            if r.status == "open" and (not space_id or r.space_id == space_id)
        ]
        return sorted(found, key=lambda r: (r.create_time, r.report_id))[:limit]

    async def resolve_open(self, kind: TargetKind, content_id: str, by: str, at: datetime) -> int:
        hits = [
            r
            for r in self.t.reports.values()
            if r.kind is kind and r.content_id == content_id and r.status == "open"
        ]
        for r in hits:
            self.t.reports[r.report_id] = replace(r, status="resolved")
        return len(hits)


class FakeContent(_Repo):
    async def get(self, kind: TargetKind, content_id: str) -> ModeratedContent | None:
        if kind is TargetKind.COMMENT and (c := self.t.comments.get(content_id)):
            return ModeratedContent(kind, content_id, c.author_id, c.space_id, c.hidden, c.deleted)
        if kind is TargetKind.QUESTION and (q := self.t.questions.get(content_id)):
            return ModeratedContent(kind, content_id, q.asker_id, q.space_id, q.hidden, False)
        if kind is TargetKind.ANSWER and (a := self.t.answers.get(content_id)):
            return ModeratedContent(kind, content_id, a.author_id, a.space_id, a.hidden, False)
        return None

    async def set_hidden(
        self, kind: TargetKind, content_id: str, hidden: bool, by: str, at: datetime
    ) -> bool:
        content = await self.get(kind, content_id)
        if content is None or content.hidden == hidden or content.deleted:
            return False
        if kind is TargetKind.COMMENT:
            self.t.comments[content_id] = replace(self.t.comments[content_id], hidden=hidden)
        elif kind is TargetKind.QUESTION:
            self.t.questions[content_id] = replace(self.t.questions[content_id], hidden=hidden)
        else:
            self.t.answers[content_id] = replace(self.t.answers[content_id], hidden=hidden)
        return True


class FakeRateLimits(_Repo):
    async def spend(
        self, action: str, user_id: str, window_start: datetime, expires_at: datetime
    ) -> int:
        start, expires, count = self.t.rate_windows.get(
            (action, user_id), (window_start, expires_at, 0)
        )
        count = 1 if window_start > start else count + 1
        self.t.rate_windows[(action, user_id)] = (
            max(start, window_start),
            max(expires, expires_at),
            count,
        )
        return count

    async def purge_expired(self, before: datetime) -> int:
        expired = [k for k, (_, expires, _) in self.t.rate_windows.items() if expires < before]
        for key in expired:
            del self.t.rate_windows[key]
        return len(expired)


class FakeErasures(_Repo):
    async def add(
        self,
        erasure_id: str,
        *,
        person_digest: str,
        requested_by: str,
        reason: str,
        at: datetime,
    ) -> tuple[str, str, datetime] | None:
        if erasure_id in self.t.erasures:
            return self.t.erasures[erasure_id]
        self.t.erasures[erasure_id] = (requested_by, reason, at)
        return None


class FakePeople(_Repo):
    async def put(self, person: Person, at: datetime) -> None:
        self.t.people[person.person_id] = person

    async def erased(self, person_ids: Sequence[str]) -> set[str]:
        return set(person_ids) & self.t.erased_people

    async def search(
        self, prefix: str, *, after: tuple[str, str] | None, limit: int
    ) -> list[tuple[str, Person]]:
        rows = [
            (key, person)
            for person in self.t.people.values()
            for key in name_keys(person.display_name)
            if key.startswith(prefix) and (after is None or (key, person.person_id) > after)
        ]
        rows.sort(key=lambda row: (row[0], row[1].person_id))
        return rows[:limit]


class FakeUnitOfWork:
    def __init__(self, tables: Tables, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.events: list[OutgoingEvent] = []
        self.spaces = FakeSpaces(tables)
        self.memberships = FakeMemberships(tables)
        self.targets = FakeTargets(tables)
        self.comments = FakeComments(tables)
        self.likes = FakeLikes(tables)
        self.popularity = FakePopularity(tables)
        self.questions = FakeQuestions(tables)
        self.answers = FakeAnswers(tables)
        self.experts = FakeExperts(tables)
        self.reports = FakeReports(tables)
        self.content = FakeContent(tables)
        self.rate_limits = FakeRateLimits(tables)
        self.erasures = FakeErasures(tables)
        self.request_ids = InMemoryRequestIds(tables.request_ids)
        self.people = FakePeople(tables)

    def add_events(self, events: Sequence[OutgoingEvent]) -> None:
        self.events.extend(events)


class FakeUnitsOfWork:
    """The ``UnitOfWorkFactory`` port in memory: per tenant tables, committed events."""

    def __init__(self) -> None:
        self.tables: dict[str, Tables] = {}
        self.published: list[OutgoingEvent] = []

    def of(self, tenant_id: str) -> Tables:
        return self.tables.setdefault(tenant_id, Tables())

    @asynccontextmanager
    async def __call__(
        self, tenant_id: str, *, pipelined: bool = False
    ) -> AsyncIterator[FakeUnitOfWork]:
        tables = self.of(tenant_id)
        snapshot = copy.deepcopy(tables)
        uow = FakeUnitOfWork(tables, tenant_id)
        try:
            yield uow
        except BaseException:
            self.tables[tenant_id] = snapshot
            raise
        self.published.extend(uow.events)

    def types(self) -> list[str]:
        """The CloudEvents types committed so far, in order."""
        return [event.headers["ce_type"] for event in self.published]
