"""Builders shared by the catalog's integration tests (all calls go through gRPC)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from google.protobuf.timestamp_pb2 import Timestamp
from psycopg.rows import dict_row

from agora.catalog.v1 import catalog_pb2 as pb
from agora_core.runtime import ServiceRuntime
from agora_core.testing.grpc_assertions import Metadata, caller

if TYPE_CHECKING:
    from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceAsyncStub

ADMIN = "u-admin"
AUTHOR = "u-grace"
EXPERT = "u-linus"
OTHER_EXPERT = "u-ken"
LEARNER = "u-ada"
MANAGER = "u-boss"


@dataclass
class Tenant:
    """One test tenant and ways to call as its people."""

    stub: CatalogServiceAsyncStub
    tenant_id: str
    runtime: ServiceRuntime

    async def row(self, query: str, *params: Any) -> dict[str, Any] | None:
        """One row of this tenant's data, read straight from the service's database."""
        async with (
            self.runtime.require_postgres().unit_of_work(self.tenant_id) as uow,
            uow.connection.cursor(row_factory=dict_row) as cursor,
        ):
            await cursor.execute(query, params)
            return await cursor.fetchone()

    def as_(self, subject: str, *roles: str) -> Metadata:
        return caller(roles or ("learner",), tenant=self.tenant_id, subject=subject)

    @property
    def admin(self) -> Metadata:
        return self.as_(ADMIN, "admin")

    @property
    def author(self) -> Metadata:
        return self.as_(AUTHOR, "contributor")

    @property
    def expert(self) -> Metadata:
        return self.as_(EXPERT, "expert")

    @property
    def learner(self) -> Metadata:
        return self.as_(LEARNER, "learner")

    @property
    def manager(self) -> Metadata:
        return self.as_(MANAGER, "manager")

    async def seed_taxonomy(self) -> None:
        s = self.stub
        await s.UpsertTheme(
            pb.UpsertThemeRequest(theme_id="tech", name="Tech"), metadata=self.admin
        )
        await s.UpsertTheme(
            pb.UpsertThemeRequest(theme_id="data", name="Data", parent_id="tech"),
            metadata=self.admin,
        )
        await s.UpsertTheme(
            pb.UpsertThemeRequest(theme_id="soft", name="Soft"), metadata=self.admin
        )
        await s.UpsertSkill(
            pb.UpsertSkillRequest(skill_id="sql", name="SQL", expert_ids=[EXPERT]),
            metadata=self.admin,
        )
        await s.UpsertSkill(
            pb.UpsertSkillRequest(skill_id="git", name="Git", trainer_ids=[OTHER_EXPERT]),
            metadata=self.admin,
        )

    async def create(self, draft: pb.ItemDraft, *, who: Metadata | None = None) -> pb.Item:
        response = await self.stub.CreateItem(
            pb.CreateItemRequest(item=draft), metadata=who or self.author
        )
        return response.item

    async def publish(self, draft: pb.ItemDraft) -> pb.Item:
        """Create as the author, submit, and have the SQL expert approve it."""
        item = await self.create(draft)
        await self.stub.SubmitItem(pb.SubmitItemRequest(item_id=item.item_id), metadata=self.author)
        await self.stub.ClaimReview(
            pb.ClaimReviewRequest(item_id=item.item_id), metadata=self.admin
        )
        response = await self.stub.ReviewItem(
            pb.ReviewItemRequest(item_id=item.item_id, decision=pb.REVIEW_DECISION_APPROVED),
            metadata=self.admin,
        )
        return response.item

    async def published_path(self, steps: Iterable[tuple[str, bool]], **fields: Any) -> pb.Path:
        created = await self.stub.CreatePath(
            pb.CreatePathRequest(
                title=fields.pop("title", "Onboarding"),
                steps=[pb.PathStep(item_id=i, mandatory=m) for i, m in steps],
                **fields,
            ),
            metadata=self.author,
        )
        published = await self.stub.PublishPath(
            pb.PublishPathRequest(path_id=created.path.path_id), metadata=self.author
        )
        return published.path


def wiki(
    title: str = "Git rebase tips",
    *,
    summary: str = "",
    markdown: str = "Rebase **safely**.",
    skills: Iterable[tuple[str, int]] = (("sql", 2),),
    themes: Iterable[str] = ("data",),
    language: str = "en",
    minutes: int = 10,
) -> pb.ItemDraft:
    return pb.ItemDraft(
        title=title,
        summary=summary,
        language=language,
        estimated_minutes=minutes,
        theme_ids=list(themes),
        skills=[pb.SkillLevel(skill_id=s, level=lvl) for s, lvl in skills],
        wiki=pb.WikiContent(markdown=markdown),
    )


def quiz(*, max_attempts: int = 0, pass_mark: float = 50.0) -> pb.ItemDraft:
    return pb.ItemDraft(
        title="SQL joins quiz",
        language="en",
        estimated_minutes=5,
        skills=[pb.SkillLevel(skill_id="sql", level=2)],
        quiz=pb.QuizContentInput(
            pass_mark_percent=pass_mark,
            max_attempts=max_attempts,
            questions=[
                pb.QuizQuestionInput(
                    question_id="q1",
                    text="Which join keeps unmatched left rows?",
                    choices=[
                        pb.QuizChoice(choice_id="a", text="INNER"),
                        pb.QuizChoice(choice_id="b", text="LEFT"),
                    ],
                    correct_choice_ids=["b"],
                ),
                pb.QuizQuestionInput(
                    question_id="q2",
                    text="Which are set operations?",
                    choices=[
                        pb.QuizChoice(choice_id="a", text="UNION"),
                        pb.QuizChoice(choice_id="b", text="INTERSECT"),
                        pb.QuizChoice(choice_id="c", text="SELECT"),
                    ],
                    correct_choice_ids=["a", "b"],
                ),
            ],
        ),
    )


def timestamp(delta: timedelta) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC) + delta)
    return stamp
