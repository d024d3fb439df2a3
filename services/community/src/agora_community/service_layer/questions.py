"""Questions to experts: ask, answer, upvote answers, accept one. A question's answer
count changes in the transaction that stores the answer."""

from __future__ import annotations

from agora_community.domain.model import Answer, Question, TargetKind, new_id, now_ms
from agora_community.service_layer.access import (
    can_moderate,
    can_read_space,
    require_member,
    resolve_target,
    space_or_not_found,
)
from agora_community.service_layer.experts import propose_experts
from agora_community.service_layer.outgoing import outgoing
from agora_community.service_layer.paging import after_time, time_cursor
from agora_community.service_layer.ports import UnitOfWork, UnitOfWorkFactory
from agora_community.service_layer.rate_limits import LIKE, POST, RateLimits, spend
from agora_contracts.events.domains.community import (
    AnswerAcceptedV1,
    AnswerPostedV1,
    QuestionAskedV1,
)
from agora_core.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from agora_core.identity import Principal
from agora_core.pagination import Page, keyset_page
from agora_core.text import plain_excerpt, sanitize_markdown

MAX_ANSWERS_SHOWN = 500


async def ask(
    uows: UnitOfWorkFactory,
    principal: Principal,
    limits: RateLimits,
    *,
    title: str,
    body: str,
    skill_ids: list[str],
    space_id: str | None,
    item_id: str | None,
    proposed_count: int,
) -> Question:
    """Store the question with question.asked naming the experts proposed for its skills."""
    async with uows(principal.tenant_id) as uow:
        await spend(uow, limits, POST, principal.subject)
        if space_id:
            await space_or_not_found(uow, space_id)
            await require_member(uow, space_id, principal)
        if item_id:
            await resolve_target(uow, TargetKind.KNOWLEDGE, item_id)
        experts = await propose_experts(
            uow, skill_ids, exclude=principal.subject, count=proposed_count
        )
        now = now_ms()
        question = Question(
            question_id=new_id(),
            asker_id=principal.subject,
            title=title,
            body=sanitize_markdown(body),
            skill_ids=tuple(skill_ids),
            space_id=space_id,
            item_id=item_id,
            proposed_expert_ids=tuple(experts),
            create_time=now,
        )
        await uow.questions.add(question)
        asked = QuestionAskedV1(
            question_id=question.question_id,
            asker_id=principal.subject,
            title=title,
            skill_ids=tuple(skill_ids),
            space_id=space_id,
            item_id=item_id,
            proposed_expert_ids=tuple(experts),
            asked_at=now,
        )
        uow.add_events(
            [
                outgoing(
                    uow.tenant_id, asked, subject=question.question_id, actor_id=principal.subject
                )
            ]
        )
    return question


async def get_question(
    uows: UnitOfWorkFactory, principal: Principal, question_id: str
) -> tuple[Question, list[Answer]]:
    """The question and its answers (hidden ones for moderators only), oldest first."""
    async with uows(principal.tenant_id) as uow:
        question = await _visible_question(uow, principal, question_id)
        moderator = await can_moderate(uow, question.space_id, principal)
        answers = await uow.answers.of_question(
            question_id, with_hidden=moderator, limit=MAX_ANSWERS_SHOWN
        )
    return question, answers


async def unanswered(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    skill_id: str | None,
    space_id: str | None,
    size: int,
    token: str,
) -> Page[Question]:
    """Visible questions nobody answered yet, oldest first."""
    after = after_time(token)
    async with uows(principal.tenant_id) as uow:
        if space_id and not await can_read_space(uow, space_id, principal):
            raise PermissionDenied(f"only members read space {space_id!r}")
        found = await uow.questions.unanswered(
            skill_id=skill_id, space_id=space_id, after=after, limit=size + 1
        )
    return keyset_page(found, size, lambda q: time_cursor(q.create_time, q.question_id))


async def of_caller(
    uows: UnitOfWorkFactory, principal: Principal, *, size: int, token: str
) -> Page[Question]:
    """The caller's own questions, newest first, hidden ones included: the asker sees
    that moderators hid them (the text is theirs)."""
    before = after_time(token)
    async with uows(principal.tenant_id) as uow:
        found = await uow.questions.of_asker(principal.subject, before=before, limit=size + 1)
    return keyset_page(found, size, lambda q: time_cursor(q.create_time, q.question_id))


async def answer(
    uows: UnitOfWorkFactory,
    principal: Principal,
    limits: RateLimits,
    question_id: str,
    body: str,
) -> Answer:
    """Store the answer with answer.posted and count it on the question, together."""
    clean = sanitize_markdown(body)
    if not clean.strip():
        raise InvalidArgument.single("body", "is empty once HTML is removed")
    async with uows(principal.tenant_id) as uow:
        await spend(uow, limits, POST, principal.subject)
        question = await _visible_question(uow, principal, question_id)
        if question.space_id:
            await require_member(uow, question.space_id, principal)
        now = now_ms()
        posted = Answer(
            answer_id=new_id(),
            question_id=question_id,
            space_id=question.space_id,
            author_id=principal.subject,
            body=clean,
            create_time=now,
        )
        await uow.answers.add(posted)
        await uow.questions.count_answer(question_id)
        event = AnswerPostedV1(
            answer_id=posted.answer_id,
            question_id=question_id,
            question_title=question.title,
            asker_id=question.asker_id,
            author_id=principal.subject,
            excerpt=plain_excerpt(clean) or "…",
            posted_at=now,
        )
        uow.add_events(
            [outgoing(uow.tenant_id, event, subject=question_id, actor_id=principal.subject)]
        )
    return posted


async def upvote(
    uows: UnitOfWorkFactory, principal: Principal, limits: RateLimits, answer_id: str
) -> tuple[Answer, bool]:
    """One upvote per person (not on one's own answer); True when this call counted one."""
    async with uows(principal.tenant_id) as uow:
        await spend(uow, limits, LIKE, principal.subject)
        found = await uow.answers.get(answer_id)
        if found is None or (
            found.hidden and not await can_moderate(uow, found.space_id, principal)
        ):
            raise NotFound("answer", answer_id)
        if found.author_id == principal.subject:
            raise FailedPrecondition("you cannot upvote your own answer", "own_content")
        if found.space_id:
            await require_member(uow, found.space_id, principal)
        return await uow.answers.upvote(answer_id, principal.subject, now_ms())


async def accept(uows: UnitOfWorkFactory, principal: Principal, answer_id: str) -> Question:
    """The asker accepts one answer, once; answer.accepted carries the question's skills."""
    async with uows(principal.tenant_id) as uow:
        found = await uow.answers.get(answer_id)
        if found is None or found.hidden:
            raise NotFound("answer", answer_id)
        question = await uow.questions.get(found.question_id)
        if question is None:
            raise NotFound("question", found.question_id)
        if question.asker_id != principal.subject:
            raise PermissionDenied("only the asker may accept an answer")
        now = now_ms()
        updated = await uow.questions.accept(question.question_id, answer_id, now)
        if updated is None:
            raise FailedPrecondition(
                f"question {question.question_id!r} already has an accepted answer", "answered"
            )
        accepted = AnswerAcceptedV1(
            answer_id=answer_id,
            question_id=question.question_id,
            asker_id=principal.subject,
            author_id=found.author_id,
            skill_ids=question.skill_ids,
            accepted_at=now,
        )
        uow.add_events(
            [
                outgoing(
                    uow.tenant_id,
                    accepted,
                    subject=question.question_id,
                    actor_id=principal.subject,
                )
            ]
        )
    return updated


async def _visible_question(uow: UnitOfWork, principal: Principal, question_id: str) -> Question:
    question = await uow.questions.get(question_id)
    if question is None or not await can_read_space(uow, question.space_id, principal):
        raise NotFound("question", question_id)
    if question.hidden and not await can_moderate(uow, question.space_id, principal):
        raise NotFound("question", question_id)
    return question
