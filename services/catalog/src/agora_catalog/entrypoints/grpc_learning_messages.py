"""Protobuf messages of learning (paths, progress, assignments, attempts, the skills
report) from the catalog's domain objects."""

from __future__ import annotations

from typing import Final

from agora.catalog.v1 import catalog_pb2 as pb
from agora_catalog.domain.model import (
    AssignmentStatus,
    Enrolment,
    Path,
    Progress,
    QuizAttempt,
    SkillReport,
)
from agora_catalog.entrypoints.grpc_messages import TYPE_TO_PB, skill_levels
from agora_core.grpc.timestamps import to_timestamp

_PATH_STATUS: Final = {
    "draft": pb.PATH_STATUS_DRAFT,
    "published": pb.PATH_STATUS_PUBLISHED,
    "archived": pb.PATH_STATUS_ARCHIVED,
}
_ASSIGNMENT_STATE: Final = {
    "not_started": pb.ASSIGNMENT_STATE_NOT_STARTED,
    "in_progress": pb.ASSIGNMENT_STATE_IN_PROGRESS,
    "completed": pb.ASSIGNMENT_STATE_COMPLETED,
}


def path_message(path: Path) -> pb.Path:
    return pb.Path(
        path_id=path.path_id,
        title=path.title,
        description=path.description,
        objectives=path.objectives,
        steps=[pb.PathStep(item_id=s.item_id, mandatory=s.mandatory) for s in path.steps],
        target_skills=skill_levels(path.target_skills),
        onboarding=path.onboarding,
        space_id=path.space_id,
        author_id=path.author_id,
        status=_PATH_STATUS[path.status],
        like_count=path.like_count,
        comment_count=path.comment_count,
        create_time=to_timestamp(path.create_time),
    )


def path_progress_message(e: Enrolment) -> pb.PathProgress:
    mandatory = e.mandatory_ids
    return pb.PathProgress(
        path_id=e.path_id,
        path_title=e.path_title,
        completed_item_ids=e.completed_item_ids,
        mandatory_steps=len(mandatory),
        mandatory_completed=sum(1 for i in mandatory if i in e.completed_item_ids),
        completed=e.completed,
        self_enrolled=e.self_enrolled,
        enrolled_at=to_timestamp(e.enrolled_at),
        completed_at=to_timestamp(e.completed_at),
    )


def progress_message(p: Progress) -> pb.ItemProgress:
    return pb.ItemProgress(
        item_id=p.item_id,
        item_title=p.item_title,
        item_type=TYPE_TO_PB[p.item_type],
        percent=p.percent,
        last_position=p.last_position,
        completed=p.completed,
        started_at=to_timestamp(p.started_at),
        updated_at=to_timestamp(p.updated_at),
        completed_at=to_timestamp(p.completed_at),
    )


def assignment_message(s: AssignmentStatus) -> pb.Assignment:
    a = s.assignment
    return pb.Assignment(
        assignment_id=a.assignment_id,
        learner_id=a.learner_id,
        assigned_by=a.assigned_by,
        target_kind=pb.TARGET_KIND_PATH if a.target_kind == "path" else pb.TARGET_KIND_KNOWLEDGE,
        target_id=a.target_id,
        target_title=a.target_title,
        due_at=to_timestamp(a.due_at),
        compliance=a.compliance,
        state=_ASSIGNMENT_STATE[s.state],
        overdue=s.overdue,
        percent=s.percent,
        assigned_at=to_timestamp(a.assigned_at),
        completed_at=to_timestamp(s.completed_at),
    )


def attempt_response(a: QuizAttempt) -> pb.SubmitQuizAttemptResponse:
    return pb.SubmitQuizAttemptResponse(
        attempt_id=a.attempt_id,
        attempt_number=a.number,
        score_percent=a.score_percent,
        passed=a.passed,
        attempts_left=a.attempts_left,
        results=[pb.QuestionResult(question_id=q, correct=ok) for q, ok in a.results],
    )


def report_message(r: SkillReport) -> pb.SkillReport:
    return pb.SkillReport(
        skill_id=r.skill_id,
        skill_name=r.skill_name,
        learners_completed=r.learners_completed,
        completions=r.completions,
        quiz_attempts=r.quiz_attempts,
        quiz_passed=r.quiz_passed,
        quiz_pass_rate_percent=r.quiz_pass_rate_percent,
    )
