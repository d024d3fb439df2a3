"""The demo journey: seed a bilingual tenant, then play a story across the services.

Every step is an RPC of the real API; every asynchronous consequence (a notification,
points, a badge, a path completion, a reminder) is waited for by polling the service
that owns it, with a deadline, so a missing outcome fails the demo naming what it
waited for.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable

from google.protobuf.timestamp_pb2 import Timestamp

from agora.catalog.v1 import catalog_pb2 as cat
from agora.community.v1 import community_pb2 as com
from agora_demo.cast import CHLOE, EMMA, HUGO, LEARNERS, LEO, MARC, SOFIA, Person
from agora_demo.content import (
    GDPR,
    QUIZ_KEY,
    QUIZ_ONE_WRONG,
    shared_knowledge,
)
from agora_demo.narration import Narrator
from agora_demo.outcomes import Outcomes
from agora_demo.platform import Platform
from agora_demo.seeding import Seeder
from agora_demo.waiting import call_when_known, wait_until
from agora_demo.world import (
    ANSWER_ACCEPTED,
    LIKE_ADDED,
    SUBMISSION_REVIEWED,
    DemoWorld,
    Timeouts,
)


def _target(item_id: str) -> com.Target:
    return com.Target(type=com.TARGET_TYPE_KNOWLEDGE, id=item_id)


def _answers(key: dict[str, list[str]]) -> list[cat.QuizAnswer]:
    return [cat.QuizAnswer(question_id=q, choice_ids=c) for q, c in key.items()]


class Demo:
    def __init__(
        self, platform: Platform, narrator: Narrator, timeouts: Timeouts | None = None
    ) -> None:
        self.p = platform
        self.n = narrator
        self.t = timeouts or Timeouts()
        self.world = DemoWorld(tenant=platform.tenant)
        self.outcomes = Outcomes(platform, narrator, self.t)

    async def seed(self) -> None:
        await Seeder(self.p, self.n, self.world).seed()

    # ---------------------------------------------------------------------- story

    async def play(self) -> None:
        await self.contributor_shares()
        await self.expert_validates()
        await self.manager_assigns()
        await self.chloe_starts_then_stops()
        await self.learners_complete()
        await self.learners_react()
        await self.question_to_expert()
        await self.badges()
        await self.relaunch_reminder()

    async def contributor_shares(self) -> None:
        self.n.scene(1, "A contributor shares knowledge")
        created = await self.p.catalog.CreateItem(
            cat.CreateItemRequest(item=shared_knowledge()), metadata=self.p.as_(LEO)
        )
        self.world.shared_item_id = created.item.item_id
        self.n.act(LEO, f"writes “{created.item.title}” (wiki, fr) — status draft")
        submitted = await self.p.catalog.SubmitItem(
            cat.SubmitItemRequest(item_id=created.item.item_id), metadata=self.p.as_(LEO)
        )
        self.n.act(
            LEO,
            f"submits it for review; the catalog names reviewers {list(submitted.reviewer_ids)}",
        )

    async def expert_validates(self) -> None:
        self.n.scene(2, "An expert validates it")
        item_id = self.world.shared_item_id
        await self.outcomes.inbox_has(SOFIA, "review_requested", item_id)
        queue = await self.p.catalog.ListReviewQueue(
            cat.ListReviewQueueRequest(page_size=50), metadata=self.p.as_(SOFIA)
        )
        titles = [i.title for i in queue.items]
        self.n.act(SOFIA, f"opens her review queue: {titles}")
        await self.p.catalog.ClaimReview(
            cat.ClaimReviewRequest(item_id=item_id), metadata=self.p.as_(SOFIA)
        )
        reviewed = await self.p.catalog.ReviewItem(
            cat.ReviewItemRequest(
                item_id=item_id,
                decision=cat.REVIEW_DECISION_APPROVED,
                comment="Très clair, merci Léo ! Clear and useful.",
            ),
            metadata=self.p.as_(SOFIA),
        )
        self.n.act(
            SOFIA,
            f"claims and approves it — status {cat.ItemStatus.Name(reviewed.item.status)}, "
            f"validated={reviewed.item.validated}",
        )
        await self.outcomes.inbox_has(LEO, "submission_reviewed", item_id)
        await self.outcomes.credited(LEO, SUBMISSION_REVIEWED, "contribution validated")

    async def manager_assigns(self) -> None:
        self.n.scene(3, "A manager assigns the GDPR path to the team")
        due = Timestamp()
        due.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(days=14))
        reply = await self.p.catalog.CreateAssignments(
            cat.CreateAssignmentsRequest(
                learner_ids=[p.person_id for p in LEARNERS],
                target_kind=cat.TARGET_KIND_PATH,
                target_id=self.world.path_id,
                due_at=due,
                compliance=True,
            ),
            metadata=self.p.as_(MARC),
        )
        self.n.act(
            MARC,
            f"assigns “{reply.assignments[0].target_title}” to "
            f"{', '.join(p.name for p in LEARNERS)}, due in 14 days (compliance)",
        )
        await asyncio.gather(
            *(self.outcomes.inbox_has(p, "assignment_created", "") for p in LEARNERS)
        )

    async def chloe_starts_then_stops(self) -> None:
        self.n.scene(4, "One learner starts, then falls behind")
        video = self.world.items["video"]
        await self.p.catalog.StartItem(
            cat.StartItemRequest(item_id=video, path_id=self.world.path_id),
            metadata=self.p.as_(CHLOE),
        )
        await self.p.catalog.RecordProgress(
            cat.RecordProgressRequest(item_id=video, percent=30, last_position="01:30"),
            metadata=self.p.as_(CHLOE),
        )
        self.n.act(CHLOE, "starts the video, stops at 30 % (01:30) and gets busy elsewhere")

    async def _learn_path(
        self, learner: Person, quiz_attempts: Iterable[dict[str, list[str]]]
    ) -> None:
        items = self.world.items
        for key in ("video", "document"):
            await self.p.catalog.StartItem(
                cat.StartItemRequest(item_id=items[key], path_id=self.world.path_id),
                metadata=self.p.as_(learner),
            )
            await self.p.catalog.CompleteItem(
                cat.CompleteItemRequest(item_id=items[key]), metadata=self.p.as_(learner)
            )
        self.n.act(learner, "watches the video and reads the document (completed)")
        await self.p.catalog.StartItem(
            cat.StartItemRequest(item_id=items["quiz"], path_id=self.world.path_id),
            metadata=self.p.as_(learner),
        )
        for answers in quiz_attempts:
            result = await self.p.catalog.SubmitQuizAttempt(
                cat.SubmitQuizAttemptRequest(item_id=items["quiz"], answers=_answers(answers)),
                metadata=self.p.as_(learner),
            )
            verdict = "passed" if result.passed else "failed"
            self.n.act(
                learner,
                f"takes the quiz (attempt {result.attempt_number}): "
                f"{result.score_percent:.0f} % — {verdict} ({result.attempts_left} left)",
            )

    async def learners_complete(self) -> None:
        self.n.scene(5, "Learners complete the path and pass its quiz")
        await asyncio.gather(
            self._learn_path(EMMA, [QUIZ_KEY]),
            self._learn_path(HUGO, [QUIZ_ONE_WRONG, QUIZ_KEY]),
        )
        shared = self.world.shared_item_id
        await self.p.catalog.StartItem(
            cat.StartItemRequest(item_id=shared), metadata=self.p.as_(EMMA)
        )
        await self.p.catalog.CompleteItem(
            cat.CompleteItemRequest(item_id=shared), metadata=self.p.as_(EMMA)
        )
        self.n.act(EMMA, "also reads Léo's new article (completed)")

        async def path_done(learner: Person) -> None:
            async def read() -> cat.ListMyProgressResponse:
                return await self.p.catalog.ListMyProgress(
                    cat.ListMyProgressRequest(page_size=50), metadata=self.p.as_(learner)
                )

            def done(reply: cat.ListMyProgressResponse) -> bool:
                return any(p.path_id == self.world.path_id and p.completed for p in reply.paths)

            await wait_until(
                f"{learner.name}'s path enrolment to complete",
                read,
                done,
                timeout=self.t.outcome,
                describe=lambda r: str(
                    [(p.path_title, p.mandatory_completed, p.mandatory_steps) for p in r.paths]
                ),
            )
            self.n.saw(f"catalog: {learner.name}'s path is complete (derived from the completions)")
            await self.outcomes.inbox_has(learner, "path_completed", self.world.path_id)

        await asyncio.gather(path_done(EMMA), path_done(HUGO))

    async def learners_react(self) -> None:
        self.n.scene(6, "They like and comment")
        shared = self.world.shared_item_id
        await call_when_known(
            "the community service to know Léo's item (knowledge.published)",
            lambda: self.p.community.Like(
                com.LikeRequest(target=_target(shared)), metadata=self.p.as_(EMMA)
            ),
            timeout=self.t.outcome,
        )
        self.n.act(EMMA, "likes Léo's article")
        await self.p.community.PostComment(
            com.PostCommentRequest(
                target=_target(shared),
                body="Merci @leo ! Le **hachage salé** m'a enfin paru simple.",
            ),
            metadata=self.p.as_(HUGO),
        )
        self.n.act(HUGO, "comments (fr), mentioning @leo")
        await self.p.community.PostComment(
            com.PostCommentRequest(
                target=_target(shared),
                body="Great checklist — we used step 3 for our CRM export.",
            ),
            metadata=self.p.as_(EMMA),
        )
        self.n.act(EMMA, "comments (en)")

        async def read() -> com.GetPopularityResponse:
            return await self.p.community.GetPopularity(
                com.GetPopularityRequest(targets=[_target(shared)]), metadata=self.p.as_(LEO)
            )

        reply = await wait_until(
            "the article's popularity to count 1 like and 2 comments",
            read,
            lambda r: (
                bool(r.popularity) and r.popularity[0].likes >= 1 and r.popularity[0].comments >= 2
            ),
            timeout=self.t.outcome,
            describe=lambda r: str([(p.likes, p.comments) for p in r.popularity]),
        )
        pop = reply.popularity[0]
        self.n.saw(
            f"popularity: {pop.likes} like, {pop.comments} comments, "
            f"{pop.participants} participants"
        )
        await self.outcomes.inbox_has(LEO, "mention", "")
        await self.outcomes.inbox_has(LEO, "comment_posted", shared)
        await self.outcomes.credited(LEO, LIKE_ADDED, "like received")

    async def question_to_expert(self) -> None:
        self.n.scene(7, "A learner asks an expert")
        shared = self.world.shared_item_id
        asked = await self.p.community.AskQuestion(
            com.AskQuestionRequest(
                title="How long may we keep pseudonymised data?",
                body=(
                    "Our CRM export is pseudonymised as in Léo's article: "
                    "is there a retention limit?"
                ),
                skill_ids=[GDPR],
                item_id=shared,
            ),
            metadata=self.p.as_(EMMA),
        )
        question = asked.question
        self.world.question_id = question.question_id
        self.n.act(
            EMMA,
            f"asks “{question.title}”; proposed experts: {list(question.proposed_expert_ids)}",
        )
        answer = await self.p.community.PostAnswer(
            com.PostAnswerRequest(
                question_id=question.question_id,
                body=(
                    "Pseudonymised data is still personal data: keep it only as long as the "
                    "purpose needs it (see the retention table in the *Guide RGPD*). "
                    "En bref : même durée que les données d'origine."
                ),
            ),
            metadata=self.p.as_(SOFIA),
        )
        self.n.act(SOFIA, "answers (en + fr)")
        await self.outcomes.inbox_has(EMMA, "answer_posted", "")
        accepted = await self.p.community.AcceptAnswer(
            com.AcceptAnswerRequest(answer_id=answer.answer.answer_id), metadata=self.p.as_(EMMA)
        )
        self.n.act(
            EMMA, f"accepts the answer (accepted_answer_id={accepted.question.accepted_answer_id})"
        )
        await self.outcomes.credited(SOFIA, ANSWER_ACCEPTED, "answer accepted")

    async def badges(self) -> None:
        self.n.scene(8, "Points and badges")
        await asyncio.gather(self.outcomes.badge_awarded(EMMA), self.outcomes.badge_awarded(HUGO))
        await asyncio.gather(
            self.outcomes.inbox_has(EMMA, "badge_awarded", ""),
            self.outcomes.inbox_has(HUGO, "badge_awarded", ""),
        )

    async def relaunch_reminder(self) -> None:
        self.n.scene(9, "The learner who fell behind is reminded")
        self.n.wait(
            "Chloé's relaunch reminder (after AGORA_NOTIFICATIONS_REMINDER_INACTIVITY_HOURS "
            "without activity; make up sets 0.01 h = 36 s)"
        )
        await self.outcomes.inbox_has(CHLOE, "relaunch_reminder", "")
