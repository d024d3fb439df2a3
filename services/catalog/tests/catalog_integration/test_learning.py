"""Progress, exactly-once completion, paths (derived completion from our own events),
assignments with due dates, quizzes and the skills report."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from agora.catalog.v1 import catalog_pb2 as pb
from agora_contracts.events.domains.catalog import PATHS_TOPIC
from agora_contracts.events.domains.learning import (
    ASSIGNMENTS_TOPIC,
    COMPLETIONS_TOPIC,
    QUIZZES_TOPIC,
    KnowledgeCompletedV1,
)
from agora_core.messaging.events import OutgoingEvent
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events, tapping
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error

from .helpers import AUTHOR, LEARNER, MANAGER, Tenant, quiz, timestamp, wiki

pytestmark = pytest.mark.integration

STARTED = "org.agora.learning.knowledge.started.v1"
COMPLETED = "org.agora.learning.knowledge.completed.v1"
PROGRESSED = "org.agora.learning.knowledge.progressed.v1"
ENROLLED = "org.agora.learning.path.enrolled.v1"
PATH_COMPLETED = "org.agora.learning.path.completed.v1"
PASSED = "org.agora.learning.quiz.passed.v1"
FAILED = "org.agora.learning.quiz.failed.v1"
ASSIGNED = "org.agora.learning.assignment.created.v1"
PATH_PUBLISHED = "org.agora.catalog.path.published.v1"
PATH_ARCHIVED = "org.agora.catalog.path.archived.v1"


async def test_progress_and_exactly_once_completion(tenant: Tenant, kafka_bootstrap: str) -> None:
    s, t = tenant.stub, tenant.tenant_id
    item = await tenant.publish(wiki(title="Indexes", skills=[("sql", 2)]))
    async with tapping(kafka_bootstrap, [COMPLETIONS_TOPIC]) as tap:
        started = await s.StartItem(
            pb.StartItemRequest(item_id=item.item_id), metadata=tenant.learner
        )
        assert started.progress.percent == 0
        await s.StartItem(pb.StartItemRequest(item_id=item.item_id), metadata=tenant.learner)
        moved = await s.RecordProgress(
            pb.RecordProgressRequest(item_id=item.item_id, percent=40, last_position="p3"),
            metadata=tenant.learner,
        )
        assert moved.progress.percent == 40
        assert moved.progress.last_position == "p3"
        [rise] = await tap.wait_for(PROGRESSED, tenant=t, subject=item.item_id)
        assert (rise.key, rise.data["previous_percent"], rise.data["percent"]) == (LEARNER, 0, 40)
        # Concurrent repeats of the completion: exactly one wins.
        results = await asyncio.gather(
            *(
                s.CompleteItem(
                    pb.CompleteItemRequest(item_id=item.item_id), metadata=tenant.learner
                )
                for _ in range(4)
            )
        )
        assert sorted(r.newly_completed for r in results) == [False, False, False, True]
        assert all(r.progress.completed and r.progress.percent == 100 for r in results)
        [event] = await tap.wait_for(COMPLETED, tenant=t, subject=item.item_id)
        assert event.key == LEARNER
        assert event.data["learner_id"] == LEARNER
        assert event.data["author_id"] == AUTHOR
        assert event.data["skills"] == [{"skill_id": "sql", "level": 2}]
        assert event.data["themes"] == ["data"]
        [start_event] = await tap.wait_for(STARTED, tenant=t, subject=item.item_id)
        assert start_event.data["item_title"] == "Indexes"
        again = await s.CompleteItem(
            pb.CompleteItemRequest(item_id=item.item_id), metadata=tenant.learner
        )
        assert not again.newly_completed
        # A later start and another completion of the same item emit nothing new.
        await s.CompleteItem(pb.CompleteItemRequest(item_id=item.item_id), metadata=tenant.learner)
        # A marker on the same learner key (same partition, later write): once it is
        # seen, a duplicate completion would have been seen before it.
        marker = await tenant.publish(wiki(title="Marker"))
        await s.StartItem(pb.StartItemRequest(item_id=marker.item_id), metadata=tenant.learner)
        await tap.wait_for(STARTED, tenant=t, subject=marker.item_id)
        assert len(tap.matching(COMPLETED, tenant=t)) == 1
        assert len(tap.matching(STARTED, tenant=t, subject=item.item_id)) == 1

    history = await s.ListMyProgress(pb.ListMyProgressRequest(), metadata=tenant.learner)
    assert [(p.item_id, p.completed) for p in history.items] == [
        (marker.item_id, False),
        (item.item_id, True),
    ]
    stored = await tenant.row(
        "SELECT completed FROM progress WHERE item_id = %s AND learner_id = %s",
        item.item_id,
        LEARNER,
    )
    assert stored is not None
    assert stored["completed"] is True

    draft = await tenant.create(wiki())
    error = await rpc_error(
        s.CompleteItem(pb.CompleteItemRequest(item_id=draft.item_id), metadata=tenant.learner)
    )
    assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
    assert "draft" in (error.details() or "")
    error = await rpc_error(
        s.StartItem(pb.StartItemRequest(item_id="nope"), metadata=tenant.learner)
    )
    assert_status(error, grpc.StatusCode.NOT_FOUND)
    error = await rpc_error(
        s.RecordProgress(
            pb.RecordProgressRequest(item_id=item.item_id, percent=101), metadata=tenant.learner
        )
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="percent")


async def test_path_completes_when_last_mandatory_step_does(
    tenant: Tenant, kafka_bootstrap: str
) -> None:
    s, t = tenant.stub, tenant.tenant_id
    first = await tenant.publish(wiki(title="Step one"))
    second = await tenant.publish(wiki(title="Step two"))
    optional = await tenant.publish(wiki(title="Bonus"))
    async with tapping(kafka_bootstrap, [COMPLETIONS_TOPIC, PATHS_TOPIC]) as tap:
        # A path with an unpublished step cannot be published.
        draft = await tenant.create(wiki(title="Not yet"))
        created = await s.CreatePath(
            pb.CreatePathRequest(
                title="Blocked", steps=[pb.PathStep(item_id=draft.item_id, mandatory=True)]
            ),
            metadata=tenant.author,
        )
        error = await rpc_error(
            s.PublishPath(
                pb.PublishPathRequest(path_id=created.path.path_id), metadata=tenant.author
            )
        )
        assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)

        path = await tenant.published_path(
            [(first.item_id, True), (optional.item_id, False), (second.item_id, True)],
            title="Onboarding",
            onboarding=True,
            objectives=["Know the tools"],
            target_skills=[pb.SkillLevel(skill_id="sql", level=1)],
        )
        [published] = await tap.wait_for(PATH_PUBLISHED, tenant=t, subject=path.path_id)
        assert published.data["onboarding"] is True
        assert [step["mandatory"] for step in published.data["steps"]] == [True, False, True]
        listed = await s.ListPaths(
            pb.ListPathsRequest(onboarding_only=True), metadata=tenant.learner
        )
        assert [p.path_id for p in listed.paths] == [path.path_id]

        # Completed before enrolling: counts at once.
        await s.CompleteItem(pb.CompleteItemRequest(item_id=first.item_id), metadata=tenant.learner)
        enrolled = await s.EnrolInPath(
            pb.EnrolInPathRequest(path_id=path.path_id), metadata=tenant.learner
        )
        assert list(enrolled.progress.completed_item_ids) == [first.item_id]
        assert enrolled.progress.mandatory_steps == 2
        [event] = await tap.wait_for(ENROLLED, tenant=t, subject=path.path_id)
        assert event.data["self_enrolled"] is True
        again = await s.EnrolInPath(
            pb.EnrolInPathRequest(path_id=path.path_id), metadata=tenant.learner
        )
        assert again.progress.enrolled_at == enrolled.progress.enrolled_at

        await s.CompleteItem(
            pb.CompleteItemRequest(item_id=optional.item_id), metadata=tenant.learner
        )
        await s.CompleteItem(
            pb.CompleteItemRequest(item_id=second.item_id), metadata=tenant.learner
        )
        [done] = await tap.wait_for(PATH_COMPLETED, tenant=t, subject=path.path_id)
        assert done.data["learner_id"] == LEARNER
        assert done.data["skills"] == [{"skill_id": "sql", "level": 1}]

        async def shows_completed() -> bool:
            mine = await s.ListMyProgress(pb.ListMyProgressRequest(), metadata=tenant.learner)
            return [(p.path_id, p.completed, p.mandatory_completed) for p in mine.paths] == [
                (path.path_id, True, 2)
            ]

        await eventually(shows_completed)
        archived = await s.ArchivePath(
            pb.ArchivePathRequest(path_id=path.path_id), metadata=tenant.author
        )
        assert archived.path.status == pb.PATH_STATUS_ARCHIVED
        await tap.wait_for(PATH_ARCHIVED, tenant=t, subject=path.path_id)
        assert len(tap.matching(PATH_COMPLETED, tenant=t)) == 1
    error = await rpc_error(
        s.EnrolInPath(pb.EnrolInPathRequest(path_id=path.path_id), metadata=tenant.learner)
    )
    assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
    assert "archived" in (error.details() or "")
    error = await rpc_error(
        s.CreatePath(
            pb.CreatePathRequest(title="x", steps=[pb.PathStep(item_id="ghost", mandatory=True)]),
            metadata=tenant.author,
        )
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="steps.0.item_id")
    error = await rpc_error(
        s.CreatePath(
            pb.CreatePathRequest(title="x", steps=[pb.PathStep(item_id=first.item_id)]),
            metadata=tenant.author,
        )
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="steps")


async def test_assignments_due_dates_and_team_view(tenant: Tenant, kafka_bootstrap: str) -> None:
    s, t = tenant.stub, tenant.tenant_id
    item = await tenant.publish(wiki(title="Security policy"))
    step = await tenant.publish(wiki(title="Phishing"))
    path = await tenant.published_path([(step.item_id, True)], title="Compliance")
    async with tapping(kafka_bootstrap, [ASSIGNMENTS_TOPIC, COMPLETIONS_TOPIC]) as tap:
        error = await rpc_error(
            s.CreateAssignments(
                pb.CreateAssignmentsRequest(
                    learner_ids=[LEARNER],
                    target_kind=pb.TARGET_KIND_KNOWLEDGE,
                    target_id=item.item_id,
                ),
                metadata=tenant.learner,
            )
        )
        assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
        error = await rpc_error(
            s.CreateAssignments(
                pb.CreateAssignmentsRequest(learner_ids=[LEARNER], target_id=item.item_id),
                metadata=tenant.manager,
            )
        )
        assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="target_kind")
        overdue = await s.CreateAssignments(
            pb.CreateAssignmentsRequest(
                learner_ids=[LEARNER, "u-bob"],
                target_kind=pb.TARGET_KIND_KNOWLEDGE,
                target_id=item.item_id,
                due_at=timestamp(timedelta(days=-1)),
                compliance=True,
            ),
            metadata=tenant.manager,
        )
        assert [a.overdue for a in overdue.assignments] == [True, True]
        events = await tap.wait_for(ASSIGNED, tenant=t, count=2)
        assert {e.data["learner_id"] for e in events} == {LEARNER, "u-bob"}
        assert all(e.data["assigned_by"] == MANAGER and e.data["compliance"] for e in events)
        on_path = await s.CreateAssignments(
            pb.CreateAssignmentsRequest(
                learner_ids=[LEARNER],
                target_kind=pb.TARGET_KIND_PATH,
                target_id=path.path_id,
                due_at=timestamp(timedelta(days=7)),
            ),
            metadata=tenant.manager,
        )
        [assigned] = on_path.assignments
        assert assigned.state == pb.ASSIGNMENT_STATE_NOT_STARTED
        assert not assigned.overdue
        [enrolled] = await tap.wait_for(ENROLLED, tenant=t, subject=path.path_id)
        assert enrolled.data["self_enrolled"] is False
        # Assigning again changes nothing and emits nothing.
        await s.CreateAssignments(
            pb.CreateAssignmentsRequest(
                learner_ids=[LEARNER], target_kind=pb.TARGET_KIND_PATH, target_id=path.path_id
            ),
            metadata=tenant.manager,
        )

        await s.CompleteItem(pb.CompleteItemRequest(item_id=item.item_id), metadata=tenant.learner)
        await s.CompleteItem(pb.CompleteItemRequest(item_id=step.item_id), metadata=tenant.learner)
        await tap.wait_for(PATH_COMPLETED, tenant=t, subject=path.path_id)
        await tenant.runtime.postgres_relay.flush()
        assert len(tap.matching(ASSIGNED, tenant=t)) == 3

    team = await s.ListTeamAssignments(pb.ListTeamAssignmentsRequest(), metadata=tenant.manager)
    states = {(a.learner_id, a.target_id): (a.state, a.overdue) for a in team.assignments}
    assert states == {
        (LEARNER, item.item_id): (pb.ASSIGNMENT_STATE_COMPLETED, False),
        ("u-bob", item.item_id): (pb.ASSIGNMENT_STATE_NOT_STARTED, True),
        (LEARNER, path.path_id): (pb.ASSIGNMENT_STATE_COMPLETED, False),
    }
    late = await s.ListTeamAssignments(
        pb.ListTeamAssignmentsRequest(overdue_only=True), metadata=tenant.manager
    )
    assert [(a.learner_id, a.overdue) for a in late.assignments] == [("u-bob", True)]
    mine = await s.ListMyAssignments(
        pb.ListMyAssignmentsRequest(page_size=1), metadata=tenant.learner
    )
    assert len(mine.assignments) == 1
    assert mine.next_page_token
    other_manager = tenant.as_("u-other-boss", "manager")
    theirs = await s.ListTeamAssignments(pb.ListTeamAssignmentsRequest(), metadata=other_manager)
    assert list(theirs.assignments) == []


async def test_quiz_graded_on_server_with_attempt_limit(
    tenant: Tenant, kafka_bootstrap: str
) -> None:
    s, t = tenant.stub, tenant.tenant_id
    test = await tenant.publish(quiz(max_attempts=3, pass_mark=100))
    wrong = [
        pb.QuizAnswer(question_id="q1", choice_ids=["a"]),
        pb.QuizAnswer(question_id="q2", choice_ids=["a"]),
    ]
    right = [
        pb.QuizAnswer(question_id="q1", choice_ids=["b"]),
        pb.QuizAnswer(question_id="q2", choice_ids=["b", "a"]),
    ]
    async with tapping(kafka_bootstrap, [QUIZZES_TOPIC, COMPLETIONS_TOPIC]) as tap:
        error = await rpc_error(
            s.CompleteItem(pb.CompleteItemRequest(item_id=test.item_id), metadata=tenant.learner)
        )
        assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
        failed = await s.SubmitQuizAttempt(
            pb.SubmitQuizAttemptRequest(item_id=test.item_id, answers=wrong),
            metadata=tenant.learner,
        )
        assert (
            failed.passed,
            failed.score_percent,
            failed.attempt_number,
            failed.attempts_left,
        ) == (False, 0.0, 1, 2)
        assert [(r.question_id, r.correct) for r in failed.results] == [
            ("q1", False),
            ("q2", False),
        ]
        [event] = await tap.wait_for(FAILED, tenant=t, subject=test.item_id)
        assert event.data["attempts_left"] == 2
        assert event.data["score_percent"] == 0
        passed = await s.SubmitQuizAttempt(
            pb.SubmitQuizAttemptRequest(item_id=test.item_id, answers=right),
            metadata=tenant.learner,
        )
        assert (passed.passed, passed.score_percent, passed.attempt_number) == (True, 100.0, 2)
        [event] = await tap.wait_for(PASSED, tenant=t, subject=test.item_id)
        assert event.data["skills"] == [{"skill_id": "sql", "level": 2}]
        assert event.data["pass_mark_percent"] == 100
        [completed] = await tap.wait_for(COMPLETED, tenant=t, subject=test.item_id)
        assert completed.data["item_type"] == "quiz"
        await s.SubmitQuizAttempt(
            pb.SubmitQuizAttemptRequest(item_id=test.item_id, answers=right),
            metadata=tenant.learner,
        )
        error = await rpc_error(
            s.SubmitQuizAttempt(
                pb.SubmitQuizAttemptRequest(item_id=test.item_id, answers=right),
                metadata=tenant.learner,
            )
        )
        assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
        assert "attempts_exhausted" in (error.details() or "")
        await tap.wait_for(PASSED, tenant=t, subject=test.item_id, count=2)
        marker = await tenant.publish(wiki(title="Marker"))
        await s.StartItem(pb.StartItemRequest(item_id=marker.item_id), metadata=tenant.learner)
        await tap.wait_for(STARTED, tenant=t, subject=marker.item_id)
        assert len(tap.matching(COMPLETED, tenant=t)) == 1  # passing again completes nothing

    error = await rpc_error(
        s.SubmitQuizAttempt(
            pb.SubmitQuizAttemptRequest(
                item_id=test.item_id, answers=[pb.QuizAnswer(question_id="q9")]
            ),
            metadata=tenant.as_("u-new", "learner"),
        )
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="answers.0.question_id")
    other = await tenant.publish(wiki())
    error = await rpc_error(
        s.SubmitQuizAttempt(
            pb.SubmitQuizAttemptRequest(item_id=other.item_id), metadata=tenant.learner
        )
    )
    assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)


async def test_skills_report(tenant: Tenant) -> None:
    s = tenant.stub
    lesson = await tenant.publish(wiki(title="Joins", skills=[("sql", 2)]))
    test = await tenant.publish(quiz(pass_mark=50))
    right = [pb.QuizAnswer(question_id="q1", choice_ids=["b"])]
    for learner in ("u-1", "u-2", "u-3"):
        who = tenant.as_(learner, "learner")
        await s.CompleteItem(pb.CompleteItemRequest(item_id=lesson.item_id), metadata=who)
    await s.SubmitQuizAttempt(
        pb.SubmitQuizAttemptRequest(item_id=test.item_id), metadata=tenant.as_("u-1")
    )
    await s.SubmitQuizAttempt(
        pb.SubmitQuizAttemptRequest(item_id=test.item_id, answers=right), metadata=tenant.as_("u-1")
    )
    error = await rpc_error(s.GetSkillsReport(pb.GetSkillsReportRequest(), metadata=tenant.learner))
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
    report = await s.GetSkillsReport(pb.GetSkillsReportRequest(), metadata=tenant.manager)
    by_skill = {r.skill_id: r for r in report.skills}
    assert set(by_skill) == {"sql", "git"}
    sql = by_skill["sql"]
    assert (sql.learners_completed, sql.completions) == (3, 4)  # u-1 also completed the quiz
    assert (sql.quiz_attempts, sql.quiz_passed, sql.quiz_pass_rate_percent) == (2, 1, 50.0)
    assert by_skill["git"].completions == 0
    error = await rpc_error(
        s.GetSkillsReport(pb.GetSkillsReportRequest(skill_id="nope"), metadata=tenant.manager)
    )
    assert_status(error, grpc.StatusCode.NOT_FOUND)


async def test_redelivered_completion_does_not_advance_a_path_twice(
    tenant: Tenant, kafka_bootstrap: str
) -> None:
    s, t = tenant.stub, tenant.tenant_id
    one = await tenant.publish(wiki(title="One"))
    two = await tenant.publish(wiki(title="Two"))
    path = await tenant.published_path([(one.item_id, True), (two.item_id, True)])
    await s.EnrolInPath(pb.EnrolInPathRequest(path_id=path.path_id), metadata=tenant.learner)

    async def enrolment() -> dict[str, Any] | None:
        return await tenant.row(
            "SELECT * FROM enrolments WHERE path_id = %s AND learner_id = %s",
            path.path_id,
            LEARNER,
        )

    async def processed(event_id: str) -> bool:
        mark = "SELECT 1 AS seen FROM processed_events WHERE event_id::text = %s"
        return await tenant.row(mark, event_id) is not None

    async with tapping(kafka_bootstrap, [COMPLETIONS_TOPIC]) as tap:
        await s.CompleteItem(pb.CompleteItemRequest(item_id=one.item_id), metadata=tenant.learner)
        [completed] = await tap.wait_for(COMPLETED, tenant=t, subject=one.item_id)

        async def applied() -> bool:
            found = await enrolment()
            return found is not None and found["completed_item_ids"] == [one.item_id]

        await eventually(applied)
        original = OutgoingEvent(
            event_id=str(completed.envelope.id),
            topic=COMPLETIONS_TOPIC,
            key=LEARNER,
            headers=completed.envelope.to_headers(),
            value=json.dumps(completed.data).encode(),
        )
        # The same event again, and the same fact under a new id (a replayed outbox).
        copy = OutgoingEvent.create(
            KnowledgeCompletedV1.model_validate(completed.data),
            source="/agora/catalog",
            subject=one.item_id,
            tenant_id=t,
            actor_id=LEARNER,
            key=LEARNER,
        )
        await publish_events(kafka_bootstrap, [original, copy])

        async def copy_applied() -> bool:
            return await processed(copy.event_id)

        await eventually(copy_applied)
        assert await processed(original.event_id)
        found = await enrolment()
        assert found is not None
        assert found["completed_item_ids"] == [one.item_id]
        assert found["completed"] is False
        assert tap.matching(PATH_COMPLETED, tenant=t) == []

        await s.CompleteItem(pb.CompleteItemRequest(item_id=two.item_id), metadata=tenant.learner)
        await tap.wait_for(PATH_COMPLETED, tenant=t, subject=path.path_id)


async def test_another_tenant_cannot_learn_from_or_see_this_tenants_catalog(
    tenant: Tenant,
) -> None:
    s = tenant.stub
    item = await tenant.publish(wiki(title="Tenant A only"))
    path = await tenant.published_path([(item.item_id, True)])
    await s.CompleteItem(pb.CompleteItemRequest(item_id=item.item_id), metadata=tenant.learner)
    foreign = tenant.tenant_id + "-b"
    learner = caller(["learner"], tenant=foreign, subject=LEARNER)
    manager = caller(["manager"], tenant=foreign, subject=MANAGER)
    for call in (
        s.StartItem(pb.StartItemRequest(item_id=item.item_id), metadata=learner),
        s.CompleteItem(pb.CompleteItemRequest(item_id=item.item_id), metadata=learner),
        s.EnrolInPath(pb.EnrolInPathRequest(path_id=path.path_id), metadata=learner),
        s.GetPath(pb.GetPathRequest(path_id=path.path_id), metadata=learner),
        s.CreateAssignments(
            pb.CreateAssignmentsRequest(
                learner_ids=[LEARNER], target_kind=pb.TARGET_KIND_PATH, target_id=path.path_id
            ),
            metadata=manager,
        ),
    ):
        assert_status(await rpc_error(call), grpc.StatusCode.NOT_FOUND)
    # The same person id in the other tenant has no history there.
    theirs = await s.ListMyProgress(pb.ListMyProgressRequest(), metadata=learner)
    assert list(theirs.items) == []
    assert list(theirs.paths) == []
    ours = await s.ListMyProgress(pb.ListMyProgressRequest(), metadata=tenant.learner)
    assert [p.item_id for p in ours.items] == [item.item_id]
    report = await s.GetSkillsReport(pb.GetSkillsReportRequest(), metadata=manager)
    assert list(report.skills) == []


async def test_a_due_date_outside_the_timestamp_range_is_invalid(tenant: Tenant) -> None:
    """Valid protobuf, impossible date (found by the security suite's fuzzing)."""
    item = await tenant.publish(wiki())
    for seconds, nanos in ((2**62, 0), (0, -1)):
        error = await rpc_error(
            tenant.stub.CreateAssignments(
                pb.CreateAssignmentsRequest(
                    learner_ids=[LEARNER],
                    target_kind=pb.TARGET_KIND_KNOWLEDGE,
                    target_id=item.item_id,
                    due_at=Timestamp(seconds=seconds, nanos=nanos),
                ),
                metadata=tenant.manager,
            )
        )
        assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="due_at")
