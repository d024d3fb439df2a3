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
from dataclasses import dataclass, field

from google.protobuf.timestamp_pb2 import Timestamp

from agora.catalog.v1 import catalog_pb2 as cat
from agora.community.v1 import community_pb2 as com
from agora.gamification.v1 import gamification_pb2 as gam
from agora.notifications.v1 import notifications_pb2 as notif
from agora_demo.cast import CHLOE, EMMA, EVERYONE, HUGO, INES, LEARNERS, LEO, MARC, SOFIA, Person
from agora_demo.content import (
    GDPR,
    QUIZ_KEY,
    QUIZ_ONE_WRONG,
    SKILLS,
    THEMES,
    seed_items,
    shared_knowledge,
)
from agora_demo.narration import Narrator
from agora_demo.platform import Platform
from agora_demo.waiting import call_when_known, wait_until

BADGE_ID = "champion-rgpd"
QUIZ_PASSED = "org.agora.learning.quiz.passed.v1"
SUBMISSION_REVIEWED = "org.agora.catalog.submission.reviewed.v1"
LIKE_ADDED = "org.agora.community.like.added.v1"
ANSWER_ACCEPTED = "org.agora.community.answer.accepted.v1"


@dataclass
class Timeouts:
    """Seconds to wait for one asynchronous outcome, and for the relaunch reminder
    (which comes after the notification service's inactivity delay)."""

    outcome: float = 90.0
    reminder: float = 240.0


@dataclass
class DemoWorld:
    """Ids created by the run, for the final views and for tests."""

    tenant: str
    items: dict[str, str] = field(default_factory=dict)
    spaces: dict[str, str] = field(default_factory=dict)
    path_id: str = ""
    shared_item_id: str = ""
    question_id: str = ""


def _target(item_id: str) -> com.Target:
    return com.Target(type=com.TARGET_TYPE_KNOWLEDGE, id=item_id)


def _answers(key: dict[str, list[str]]) -> list[cat.QuizAnswer]:
    return [cat.QuizAnswer(question_id=q, choice_ids=c) for q, c in key.items()]


def _describe_inbox(reply: notif.ListInboxResponse) -> str:
    seen = [f"{n.category}:{n.subject_id}" for n in reply.notifications[:8]]
    return f"{len(reply.notifications)} notifications {seen}"


class Demo:
    def __init__(
        self, platform: Platform, narrator: Narrator, timeouts: Timeouts | None = None
    ) -> None:
        self.p = platform
        self.n = narrator
        self.t = timeouts or Timeouts()
        self.world = DemoWorld(tenant=platform.tenant)

    # -------------------------------------------------------------- waiting helpers

    async def inbox_has(self, person: Person, category: str, subject_id: str) -> notif.Notification:
        """Wait until ``person``'s inbox shows a ``category`` notification about ``subject_id``."""

        async def read() -> notif.ListInboxResponse:
            return await self.p.notifications.ListInbox(
                notif.ListInboxRequest(page_size=100), metadata=self.p.as_(person)
            )

        def match(reply: notif.ListInboxResponse) -> notif.Notification | None:
            for entry in reply.notifications:
                if entry.category == category and (
                    not subject_id or entry.subject_id == subject_id
                ):
                    return entry
            return None

        reply = await wait_until(
            f"{person.name}'s inbox to show a {category} notification"
            + (f" about {subject_id}" if subject_id else ""),
            read,
            lambda r: match(r) is not None,
            timeout=self.t.reminder if category == "relaunch_reminder" else self.t.outcome,
            describe=_describe_inbox,
        )
        found = match(reply)
        assert found is not None
        self.n.saw(f"{person.name}'s inbox: “{found.title}” ({category})")
        return found

    async def credited(self, person: Person, event_type: str, why: str) -> gam.Profile:
        """Wait until ``person``'s point ledger holds a credit for an event of ``event_type``."""

        async def read() -> gam.ListLedgerEntriesResponse:
            return await self.p.gamification.ListLedgerEntries(
                gam.ListLedgerEntriesRequest(learner_id=person.person_id, page_size=100),
                metadata=self.p.as_(person),
            )

        reply = await wait_until(
            f"{person.name}'s ledger to credit points for {event_type} ({why})",
            read,
            lambda r: any(e.source_event_type == event_type for e in r.entries),
            timeout=self.t.outcome,
            describe=lambda r: str([(e.rule_id, e.points) for e in r.entries[:10]]),
        )
        entry = next(e for e in reply.entries if e.source_event_type == event_type)
        profile = (
            await self.p.gamification.GetProfile(
                gam.GetProfileRequest(learner_id=person.person_id), metadata=self.p.as_(person)
            )
        ).profile
        self.n.saw(
            f"{person.name}: +{entry.points} points (rule {entry.rule_id}, {why}); "
            f"{profile.points} in all, level {profile.level.name}"
        )
        return profile

    async def badge_awarded(self, person: Person) -> gam.Award:
        async def read() -> gam.GetProfileResponse:
            return await self.p.gamification.GetProfile(
                gam.GetProfileRequest(learner_id=person.person_id), metadata=self.p.as_(person)
            )

        reply = await wait_until(
            f"{person.name} to be awarded the badge {BADGE_ID}",
            read,
            lambda r: any(b.badge_id == BADGE_ID for b in r.profile.badges),
            timeout=self.t.outcome,
            describe=lambda r: f"badges {[b.badge_id for b in r.profile.badges]}",
        )
        award = next(b for b in reply.profile.badges if b.badge_id == BADGE_ID)
        self.n.saw(f"{person.name} earned the badge “{award.badge_name}”")
        return award

    # -------------------------------------------------------------------- seeding

    async def seed(self) -> None:
        self.n.scene(0, f"Seeding tenant {self.p.tenant}: people, taxonomy, badge, spaces, content")
        await self._seed_people()
        await self._seed_taxonomy()
        await self._seed_badge()
        await self._seed_spaces()
        await self._seed_items()
        await self._seed_path()

    async def _seed_people(self) -> None:
        profiles = [
            notif.Profile(person_id=p.person_id, locale=p.locale, time_zone=p.time_zone)
            for p in EVERYONE
        ]
        await self.p.notifications.UpsertProfiles(
            notif.UpsertProfilesRequest(profiles=profiles), metadata=self.p.as_(INES)
        )
        directory = [
            com.Person(person_id=p.person_id, display_name=p.name, roles=list(p.roles))
            for p in EVERYONE
        ]
        await self.p.community.PutPeople(
            com.PutPeopleRequest(people=directory), metadata=self.p.as_(INES)
        )
        self.n.act(
            INES,
            "registers 7 people (HR sync): "
            + ", ".join(f"{p.name} [{p.locale}]" for p in EVERYONE),
        )

    async def _seed_taxonomy(self) -> None:
        for theme_id, name, parent in THEMES:
            await self.p.catalog.UpsertTheme(
                cat.UpsertThemeRequest(theme_id=theme_id, name=name, parent_id=parent),
                metadata=self.p.as_(INES),
            )
        for skill_id, name in SKILLS:
            await self.p.catalog.UpsertSkill(
                cat.UpsertSkillRequest(skill_id=skill_id, name=name, expert_ids=[SOFIA.person_id]),
                metadata=self.p.as_(INES),
            )
        self.n.act(
            INES,
            f"defines {len(THEMES)} themes and the skills {', '.join(n for _, n in SKILLS)} "
            f"(expert: {SOFIA.name})",
        )

    async def _seed_badge(self) -> None:
        existing = await self.p.gamification.ListBadges(
            gam.ListBadgesRequest(), metadata=self.p.as_(INES)
        )
        if any(GDPR in b.skill_ids for b in existing.badges):
            return
        badge = gam.Badge(
            badge_id=BADGE_ID,
            name="Champion RGPD · GDPR champion",
            description="A réussi le quiz RGPD · Passed the GDPR quiz.",
            image_url="https://badges.example/champion-rgpd.png",
            skill_ids=[GDPR],
            criteria_narrative="Pass a quiz on the GDPR skill.",
            groups=[
                gam.RequirementGroup(
                    requirements=[
                        gam.Requirement(
                            event_type=QUIZ_PASSED,
                            count=1,
                            conditions=[
                                gam.Condition(
                                    field="skills.skill_id", op="eq", value_json=f'"{GDPR}"'
                                )
                            ],
                        )
                    ]
                )
            ],
        )
        await self.p.gamification.PutBadge(
            gam.PutBadgeRequest(badge=badge), metadata=self.p.as_(INES)
        )
        self.n.act(INES, f"defines the badge “{badge.name}” (no default badge covers the GDPR)")

    async def _seed_spaces(self) -> None:
        privacy = await self.p.community.CreateSpace(
            com.CreateSpaceRequest(
                name="Données & confidentialité · Data & privacy",
                description="Questions, retours d'expérience et bonnes pratiques RGPD.",
                visibility=com.SPACE_VISIBILITY_OPEN,
                topic="rgpd",
            ),
            metadata=self.p.as_(INES),
        )
        sql = await self.p.community.CreateSpace(
            com.CreateSpaceRequest(
                name="Club SQL · SQL circle",
                description="Share queries, ask for reviews, learn window functions together.",
                visibility=com.SPACE_VISIBILITY_OPEN,
                topic="sql",
            ),
            metadata=self.p.as_(SOFIA),
        )
        self.world.spaces = {"privacy": privacy.space.space_id, "sql": sql.space.space_id}
        joins = [(p, privacy.space.space_id) for p in EVERYONE if p is not INES]
        joins += [(p, sql.space.space_id) for p in (LEO, EMMA, HUGO, MARC)]
        await asyncio.gather(
            *(
                self.p.community.JoinSpace(
                    com.JoinSpaceRequest(space_id=space), metadata=self.p.as_(person)
                )
                for person, space in joins
            )
        )
        self.n.act(INES, f"opens the space “{privacy.space.name}”; 6 people join")
        self.n.act(SOFIA, f"opens the space “{sql.space.name}”; 4 people join")

    async def _publish_reviewed(
        self, author: Person, reviewer: Person, draft: cat.ItemDraft
    ) -> cat.Item:
        """Create and submit an item, then have ``reviewer`` claim and approve it."""
        created = await self.p.catalog.CreateItem(
            cat.CreateItemRequest(item=draft), metadata=self.p.as_(author)
        )
        item_id = created.item.item_id
        await self.p.catalog.SubmitItem(
            cat.SubmitItemRequest(item_id=item_id), metadata=self.p.as_(author)
        )
        await self.p.catalog.ClaimReview(
            cat.ClaimReviewRequest(item_id=item_id), metadata=self.p.as_(reviewer)
        )
        reviewed = await self.p.catalog.ReviewItem(
            cat.ReviewItemRequest(item_id=item_id, decision=cat.REVIEW_DECISION_APPROVED),
            metadata=self.p.as_(reviewer),
        )
        return reviewed.item

    async def _seed_items(self) -> None:
        seeds = seed_items(dt.datetime.now(dt.UTC))
        # The expert writes the reference content; an admin (who may review anything)
        # validates it, since nobody reviews their own work.
        items = await asyncio.gather(*(self._publish_reviewed(SOFIA, INES, s.draft) for s in seeds))
        for seed, item in zip(seeds, items, strict=True):
            self.world.items[seed.key] = item.item_id
        self.n.act(
            SOFIA,
            f"publishes {len(items)} items, each approved by {INES.name}: "
            + "; ".join(
                f"{cat.KnowledgeType.Name(i.type).removeprefix('KNOWLEDGE_TYPE_').lower()} "
                f"[{i.language}] “{i.title}”"
                for i in items
            ),
        )

    async def _seed_path(self) -> None:
        items = self.world.items
        created = await self.p.catalog.CreatePath(
            cat.CreatePathRequest(
                title="Parcours RGPD · GDPR essentials",
                description=(
                    "L'essentiel du RGPD en moins d'une heure · GDPR basics in under an hour."
                ),
                objectives=[
                    "Connaître les principes du RGPD",
                    "Know what to do after a data breach",
                ],
                steps=[
                    cat.PathStep(item_id=items["video"], mandatory=True),
                    cat.PathStep(item_id=items["document"], mandatory=True),
                    cat.PathStep(item_id=items["quiz"], mandatory=True),
                    cat.PathStep(item_id=items["scorm"], mandatory=False),
                ],
                target_skills=[cat.SkillLevel(skill_id=GDPR, level=2)],
            ),
            metadata=self.p.as_(INES),
        )
        published = await self.p.catalog.PublishPath(
            cat.PublishPathRequest(path_id=created.path.path_id), metadata=self.p.as_(INES)
        )
        self.world.path_id = published.path.path_id
        self.n.act(
            INES,
            f"publishes the path “{published.path.title}” "
            "(video, document and quiz mandatory; SCORM module optional)",
        )

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
        await self.inbox_has(SOFIA, "review_requested", item_id)
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
        await self.inbox_has(LEO, "submission_reviewed", item_id)
        await self.credited(LEO, SUBMISSION_REVIEWED, "contribution validated")

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
        await asyncio.gather(*(self.inbox_has(p, "assignment_created", "") for p in LEARNERS))

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
            await self.inbox_has(learner, "path_completed", self.world.path_id)

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
        await self.inbox_has(LEO, "mention", "")
        await self.inbox_has(LEO, "comment_posted", shared)
        await self.credited(LEO, LIKE_ADDED, "like received")

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
        await self.inbox_has(EMMA, "answer_posted", "")
        accepted = await self.p.community.AcceptAnswer(
            com.AcceptAnswerRequest(answer_id=answer.answer.answer_id), metadata=self.p.as_(EMMA)
        )
        self.n.act(
            EMMA, f"accepts the answer (accepted_answer_id={accepted.question.accepted_answer_id})"
        )
        await self.credited(SOFIA, ANSWER_ACCEPTED, "answer accepted")

    async def badges(self) -> None:
        self.n.scene(8, "Points and badges")
        await asyncio.gather(self.badge_awarded(EMMA), self.badge_awarded(HUGO))
        await asyncio.gather(
            self.inbox_has(EMMA, "badge_awarded", ""), self.inbox_has(HUGO, "badge_awarded", "")
        )

    async def relaunch_reminder(self) -> None:
        self.n.scene(9, "The learner who fell behind is reminded")
        self.n.wait(
            "Chloé's relaunch reminder (after AGORA_NOTIFICATIONS_REMINDER_INACTIVITY_HOURS "
            "without activity; make up sets 0.01 h = 36 s)"
        )
        await self.inbox_has(CHLOE, "relaunch_reminder", "")
