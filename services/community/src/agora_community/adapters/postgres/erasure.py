"""What community erases of a person, as idempotent SQL steps of
``agora_core.privacy.postgres`` (all in the consumer's one transaction).

Kept, with the person replaced by the ``[deleted user]`` placeholder wherever they
appear (author, mentions in text and lists, moderation fields): comments and their
edit history, questions, answers, spaces, catalog targets, reports, erasure records.
Deleted: memberships (the spaces' member counts drop in the same statement), likes,
answer votes, the expert directory's entries and evidence, the people directory's
entry (display name, roles, name keys), participation markers and rate windows.
Popularity counters and answer upvotes keep the person's past engagement anonymously,
so every service's counts stay equal. docs/privacy.md has the reasons.
"""

from __future__ import annotations

from typing import Final

from agora_core.privacy.postgres import ErasureStep, sql_step


def _replace_id(table: str, column: str) -> str:
    return (
        f"UPDATE {table} SET {column} = %(placeholder)s"
        f" WHERE tenant_id = %(tenant)s AND {column} = %(person)s"
    )


def _replace_in_list(table: str, column: str) -> str:
    return (
        f"UPDATE {table} SET {column} = array_replace({column}, %(person)s, %(placeholder)s)"
        f" WHERE tenant_id = %(tenant)s AND %(person)s = ANY({column})"
    )


def _replace_in_text(table: str, column: str) -> str:
    return (
        f"UPDATE {table} SET {column} = regexp_replace({column}, %(pattern)s,"
        f" %(placeholder)s, 'g') WHERE tenant_id = %(tenant)s AND {column} ~ %(pattern)s"
    )


def _delete(table: str, column: str = "user_id") -> str:
    return f"DELETE FROM {table} WHERE tenant_id = %(tenant)s AND {column} = %(person)s"


# Active memberships leave their space's member count in the same statement.
_LEAVE_SPACES: Final = """
WITH gone AS (
    DELETE FROM memberships WHERE tenant_id = %(tenant)s AND user_id = %(person)s
    RETURNING space_id, state
), counted AS (
    SELECT space_id, count(*) AS n FROM gone WHERE state = 'active' GROUP BY space_id
)
UPDATE spaces s SET member_count = greatest(s.member_count - counted.n, 0)
FROM counted WHERE s.tenant_id = %(tenant)s AND s.space_id = counted.space_id
"""

PLAN: Final[dict[str, tuple[str, ...]]] = {
    "memberships": (
        _LEAVE_SPACES,
        _delete("memberships"),
        _replace_id("memberships", "invited_by"),
    ),
    "likes": (_delete("likes"), _replace_id("likes", "owner_id")),
    "answer_votes": (_delete("answer_votes"),),
    "experts": (_delete("experts"),),
    "expert_evidence": (_delete("expert_evidence"),),
    "participants": (_delete("participants"),),
    "rate_windows": (_delete("rate_windows"),),
    "comments": (
        _replace_id("comments", "author_id"),
        _replace_id("comments", "moderated_by"),
        _replace_in_list("comments", "mentioned_user_ids"),
        _replace_in_text("comments", "body"),
    ),
    "comment_revisions": (_replace_in_text("comment_revisions", "body"),),
    "questions": (
        _replace_id("questions", "asker_id"),
        _replace_id("questions", "moderated_by"),
        _replace_in_list("questions", "proposed_expert_ids"),
        _replace_in_text("questions", "title"),
        _replace_in_text("questions", "body"),
    ),
    "answers": (
        _replace_id("answers", "author_id"),
        _replace_id("answers", "moderated_by"),
        _replace_in_text("answers", "body"),
    ),
    "spaces": (_replace_id("spaces", "created_by"), _replace_in_text("spaces", "description")),
    "targets": (_replace_id("targets", "owner_id"),),
    "reports": (
        _replace_id("reports", "reporter_id"),
        _replace_id("reports", "resolved_by"),
        _replace_in_text("reports", "details"),
    ),
    "erasures": (_replace_id("erasures", "requested_by"),),
    "people_name_keys": (_delete("people_name_keys", "person_id"),),
    "people": (_delete("people", "person_id"),),
}
"""Per table, the statements that erase the person from it."""

NOT_PERSONAL: Final = {
    "popularity": "counters per target, no person",
    "question_skills": "skills of questions, no person",
}


ERASURE_STEPS: Final[list[tuple[str, ErasureStep]]] = [
    (table, sql_step(*statements)) for table, statements in PLAN.items()
]
