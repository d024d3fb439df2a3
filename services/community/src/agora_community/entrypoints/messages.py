"""Domain objects to protobuf messages (the servicer's way out)."""

from __future__ import annotations

from typing import Final

from agora.community.v1 import community_pb2 as pb
from agora_community.domain.model import (
    Answer,
    Comment,
    Expert,
    Membership,
    Question,
    QuestionStatus,
    Report,
    Space,
    SpaceRole,
    TargetKind,
)
from agora_community.entrypoints import validation as v
from agora_community.service_layer.popularity import PopularityView
from agora_core.grpc.timestamps import to_timestamp

_ROLE_NUMBERS: Final = {role: number for number, role in v.ROLES.items()}
_VISIBILITY_NUMBERS: Final = {vis: number for number, vis in v.VISIBILITIES.items()}
_REASON_NUMBERS: Final = {reason: number for number, reason in v.REASONS.items()}
_QUESTION_STATUSES: Final = {
    QuestionStatus.OPEN: pb.QUESTION_STATUS_OPEN,
    QuestionStatus.ANSWERED: pb.QUESTION_STATUS_ANSWERED,
    QuestionStatus.RESOLVED: pb.QUESTION_STATUS_RESOLVED,
    QuestionStatus.HIDDEN: pb.QUESTION_STATUS_HIDDEN,
}


def target_message(kind: TargetKind, target_id: str) -> pb.Target:
    return pb.Target(type=v.TARGET_TYPES[kind], id=target_id)


def space_message(space: Space, my_role: SpaceRole | None = None) -> pb.Space:
    return pb.Space(
        space_id=space.space_id,
        name=space.name,
        description=space.description,
        visibility=_VISIBILITY_NUMBERS[space.visibility],
        topic=space.topic,
        created_by=space.created_by,
        create_time=to_timestamp(space.create_time),
        member_count=space.member_count,
        my_role=_ROLE_NUMBERS[my_role] if my_role else pb.SPACE_ROLE_UNSPECIFIED,
    )


def member_message(member: Membership) -> pb.Member:
    return pb.Member(
        user_id=member.user_id,
        role=_ROLE_NUMBERS[member.role],
        join_time=to_timestamp(member.joined_at),
    )


def comment_message(comment: Comment, *, with_revisions: bool = False) -> pb.Comment:
    revisions = comment.revisions if with_revisions else ()
    return pb.Comment(
        comment_id=comment.comment_id,
        target=target_message(comment.kind, comment.target_id),
        parent_comment_id=comment.parent_comment_id or "",
        author_id=comment.author_id,
        body=comment.body,
        mentioned_user_ids=comment.mentioned_user_ids,
        create_time=to_timestamp(comment.create_time),
        update_time=to_timestamp(comment.update_time),
        deleted=comment.deleted,
        hidden=comment.hidden,
        edit_count=comment.edit_count,
        revisions=[
            pb.CommentRevision(body=r.body, replaced_time=to_timestamp(r.replaced_time))
            for r in revisions
        ],
        space_id=comment.space_id or "",
    )


def question_message(question: Question) -> pb.Question:
    return pb.Question(
        question_id=question.question_id,
        asker_id=question.asker_id,
        title=question.title,
        body=question.body,
        skill_ids=question.skill_ids,
        space_id=question.space_id or "",
        item_id=question.item_id or "",
        proposed_expert_ids=question.proposed_expert_ids,
        answer_count=question.answer_count,
        accepted_answer_id=question.accepted_answer_id or "",
        hidden=question.hidden,
        create_time=to_timestamp(question.create_time),
        status=_QUESTION_STATUSES[question.status],
    )


def answer_message(answer: Answer, accepted_id: str | None = None) -> pb.Answer:
    return pb.Answer(
        answer_id=answer.answer_id,
        question_id=answer.question_id,
        author_id=answer.author_id,
        body=answer.body,
        upvotes=answer.upvotes,
        accepted=accepted_id == answer.answer_id,
        hidden=answer.hidden,
        create_time=to_timestamp(answer.create_time),
    )


def popularity_message(view: PopularityView) -> pb.Popularity:
    item = view.popularity
    return pb.Popularity(
        target=target_message(item.kind, item.target_id),
        likes=item.likes,
        comments=item.comments,
        participants=item.participants,
        trending_score=item.trending_score,
        as_of=to_timestamp(item.as_of),
        liked_by_me=view.liked_by_me,
    )


def expert_message(expert: Expert) -> pb.Expert:
    return pb.Expert(
        user_id=expert.user_id,
        skill_id=expert.skill_id,
        score=expert.score,
        validated_contributions=expert.validated_contributions,
        accepted_answers=expert.accepted_answers,
        completions=expert.completions,
        quiz_passes=expert.quiz_passes,
    )


def report_message(report: Report) -> pb.Report:
    return pb.Report(
        report_id=report.report_id,
        content=target_message(report.kind, report.content_id),
        reporter_id=report.reporter_id,
        reason=_REASON_NUMBERS[report.reason],
        details=report.details,
        space_id=report.space_id or "",
        status=report.status,
        create_time=to_timestamp(report.create_time),
    )
