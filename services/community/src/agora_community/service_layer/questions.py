"""Questions to experts: ask, answer, upvote answers, accept one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agora_community.domain.model import TargetKind, new_id, now_ms
from agora_community.service_layer.common import (
    Caller,
    can_moderate,
    can_read_space,
    outgoing,
    require_member,
    resolve_target,
    space_or_not_found,
)
from agora_community.service_layer.experts import propose_experts
from agora_community.service_layer.ports import Store
from agora_contracts.events.domains.community import (
    AnswerAcceptedV1,
    AnswerPostedV1,
    QuestionAskedV1,
)
from agora_core.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from agora_core.outbox import with_outbox
from agora_core.text import plain_excerpt, sanitize_markdown


async def ask(
    store: Store,
    caller: Caller,
    *,
    title: str,
    body: str,
    skill_ids: list[str],
    space_id: str | None,
    item_id: str | None,
    proposed_count: int,
) -> dict[str, Any]:
    """Store the question with question.asked naming the experts proposed for its skills."""
    if space_id:
        await space_or_not_found(store, space_id)
        await require_member(store, space_id, caller)
    if item_id:
        await resolve_target(store, TargetKind.KNOWLEDGE, item_id)
    experts = await propose_experts(store, skill_ids, exclude=caller.user_id, count=proposed_count)
    now = now_ms()
    question_id = new_id()
    question = {
        "_id": question_id,
        "asker_id": caller.user_id,
        "title": title,
        "body": sanitize_markdown(body),
        "skill_ids": skill_ids,
        "space_id": space_id,
        "item_id": item_id,
        "proposed_expert_ids": experts,
        "answer_count": 0,
        "answer_ids": [],
        "accepted_answer_id": None,
        "hidden": False,
        "create_time": now,
    }
    event = outgoing(
        store,
        QuestionAskedV1(
            question_id=question_id,
            asker_id=caller.user_id,
            title=title,
            skill_ids=tuple(skill_ids),
            space_id=space_id,
            item_id=item_id,
            proposed_expert_ids=tuple(experts),
            asked_at=now,
        ),
        subject=question_id,
        actor_id=caller.user_id,
    )
    await store.questions.insert_one({**question, "outbox": [event.to_document()]})
    store.events_written(store.questions, question_id)
    return question


async def get_question(
    store: Store, caller: Caller, question_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The question and its answers (hidden ones for moderators only), oldest first."""
    question = await _visible_question(store, caller, question_id)
    moderator = await can_moderate(store, question.get("space_id"), caller)
    query: dict[str, Any] = {"question_id": question_id}
    if not moderator:
        query["hidden"] = False
    answers = await store.answers.find(
        query, sort=[("create_time", 1), ("_id", 1)], limit=500, projection={"outbox": 0}
    )
    return question, answers


async def unanswered(
    store: Store,
    caller: Caller,
    *,
    skill_id: str | None,
    space_id: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Visible questions nobody answered yet, oldest first (index ``unanswered``)."""
    query: dict[str, Any] = {"answer_count": 0, "hidden": False}
    if skill_id:
        query["skill_ids"] = skill_id
    if space_id:
        if not await can_read_space(store, space_id, caller):
            raise PermissionDenied(f"only members read space {space_id!r}")
        query["space_id"] = space_id
    if after is not None:
        query["$or"] = [
            {"create_time": {"$gt": after[0]}},
            {"create_time": after[0], "_id": {"$gt": after[1]}},
        ]
    return await store.questions.find(
        query, sort=[("create_time", 1), ("_id", 1)], limit=limit, projection={"outbox": 0}
    )


async def answer(store: Store, caller: Caller, question_id: str, body: str) -> dict[str, Any]:
    """Store the answer with answer.posted, then count it on the question."""
    question = await _visible_question(store, caller, question_id)
    if question.get("space_id"):
        await require_member(store, question["space_id"], caller)
    clean = sanitize_markdown(body)
    if not clean.strip():
        raise InvalidArgument.single("body", "is empty once HTML is removed")
    now = now_ms()
    answer_id = new_id()
    document: dict[str, Any] = {
        "_id": answer_id,
        "question_id": question_id,
        "space_id": question.get("space_id"),
        "author_id": caller.user_id,
        "body": clean,
        "upvotes": 0,
        "voters": [],
        "hidden": False,
        "create_time": now,
    }
    event = outgoing(
        store,
        AnswerPostedV1(
            answer_id=answer_id,
            question_id=question_id,
            question_title=question["title"],
            asker_id=question["asker_id"],
            author_id=caller.user_id,
            excerpt=plain_excerpt(clean) or "…",
            posted_at=now,
        ),
        subject=question_id,
        actor_id=caller.user_id,
    )
    await store.answers.insert_one({**document, "outbox": [event.to_document()]})
    store.events_written(store.answers, answer_id)
    # Counted by answer id, so repeating this step after a failure counts it once.
    await store.questions.update_one(
        {"_id": question_id, "answer_ids": {"$ne": answer_id}},
        {"$push": {"answer_ids": answer_id}, "$inc": {"answer_count": 1}},
    )
    return document


async def upvote(store: Store, caller: Caller, answer_id: str) -> tuple[dict[str, Any], bool]:
    """One upvote per person (not on one's own answer); True when this call counted one."""
    document = await store.answers.find_one({"_id": answer_id})
    if document is None or (
        document.get("hidden") and not await can_moderate(store, document.get("space_id"), caller)
    ):
        raise NotFound("answer", answer_id)
    if document["author_id"] == caller.user_id:
        raise FailedPrecondition("you cannot upvote your own answer", "own_content")
    if document.get("space_id"):
        await require_member(store, document["space_id"], caller)
    updated = await store.answers.find_one_and_update(
        {"_id": answer_id, "voters": {"$ne": caller.user_id}},
        {"$push": {"voters": caller.user_id}, "$inc": {"upvotes": 1}},
    )
    if updated is None:
        current = await store.answers.find_one({"_id": answer_id})
        assert current is not None
        return current, False
    return updated, True


async def accept(store: Store, caller: Caller, answer_id: str) -> dict[str, Any]:
    """The asker accepts one answer, once; answer.accepted carries the question's skills."""
    document = await store.answers.find_one({"_id": answer_id})
    if document is None or document.get("hidden"):
        raise NotFound("answer", answer_id)
    question = await store.questions.find_one({"_id": document["question_id"]})
    if question is None:
        raise NotFound("question", document["question_id"])
    if question["asker_id"] != caller.user_id:
        raise PermissionDenied("only the asker may accept an answer")
    if question.get("accepted_answer_id"):
        raise FailedPrecondition(
            f"question {question['_id']!r} already has an accepted answer", "answered"
        )
    now = now_ms()
    event = outgoing(
        store,
        AnswerAcceptedV1(
            answer_id=answer_id,
            question_id=question["_id"],
            asker_id=caller.user_id,
            author_id=document["author_id"],
            skill_ids=tuple(question["skill_ids"]),
            accepted_at=now,
        ),
        subject=question["_id"],
        actor_id=caller.user_id,
    )
    updated = await store.questions.find_one_and_update(
        {"_id": question["_id"], "accepted_answer_id": None},
        with_outbox({"$set": {"accepted_answer_id": answer_id, "accepted_at": now}}, [event]),
    )
    if updated is None:
        raise FailedPrecondition(
            f"question {question['_id']!r} already has an accepted answer", "answered"
        )
    store.events_written(store.questions, question["_id"])
    return updated


async def _visible_question(store: Store, caller: Caller, question_id: str) -> dict[str, Any]:
    question = await store.questions.find_one({"_id": question_id})
    if question is None or not await can_read_space(store, question.get("space_id"), caller):
        raise NotFound("question", question_id)
    if question.get("hidden") and not await can_moderate(store, question.get("space_id"), caller):
        raise NotFound("question", question_id)
    return question
