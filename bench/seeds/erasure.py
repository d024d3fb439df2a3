"""Seeding the erasure benchmark's community databases server-side (``generate_series``).

One person, ``u-ada``, has ``n`` rows of each kind community keeps about a person
(comments written, comments and revisions mentioning them, likes given and likes of
their content, active memberships and invitations sent, expert entries and evidence,
participation markers, questions asked and proposed to them, answers and votes,
targets owned, reports filed, spaces created, erasures requested) among ``others`` rows per table of
other people, in the real tables' columns (community's migration ``v0002``). Every
value is derived from the series index, so two databases seeded alike are identical
row for row. Ends with ``ANALYZE``.

Beside the seed, what knows its layout: the raw SQL baseline that erases the person
(``RAW_ERASURE``) and the digest of the tables' end states the benchmark compares
after the eraser and the baseline ran on the two copies.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

import psycopg

TENANT: Final = "bench"
ADA: Final = "u-ada"
RATE_ACTIONS: Final = ("post", "like", "question")
"""Rate windows are keyed by (action, person): one per action."""

SEEDED_TABLES: Final = (
    "spaces",
    "memberships",
    "targets",
    "comments",
    "comment_revisions",
    "likes",
    "participants",
    "questions",
    "answers",
    "answer_votes",
    "experts",
    "expert_evidence",
    "reports",
    "rate_windows",
    "erasures",
)


_STATEMENTS: Final = (
    # Spaces: the person is an active member of the first n (created by them one in
    # ten, with a description naming them); others' spaces have others' members.
    """INSERT INTO spaces (tenant_id, space_id, name, name_folded, description, visibility,
        topic, created_by, create_time, member_count)
    SELECT %(tenant)s, 'sp-' || g, 'Space ' || g, 'space ' || g,
        CASE WHEN g %% 10 = 0 THEN 'Run by @' || %(ada)s || '.' ELSE 'A space' END, 'open',
        'bench', CASE WHEN g %% 10 = 0 THEN %(ada)s ELSE 'u-' || (g %% 97) END,
        %(t0)s + g * %(step)s, 5
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO spaces (tenant_id, space_id, name, name_folded, description, visibility,
        topic, created_by, create_time, member_count)
    SELECT %(tenant)s, 'so-' || g, 'Other ' || g, 'other ' || g, 'A space', 'open', 'bench',
        'u-' || (g %% 97), %(t0)s + g * %(step)s, 5
    FROM generate_series(0, %(other_spaces)s - 1) AS g""",
    """INSERT INTO memberships (tenant_id, space_id, user_id, role, state, invited_by,
        joined_at)
    SELECT %(tenant)s, 'sp-' || g, %(ada)s, 'member', 'active', 'u-grace', %(t0)s + g * %(step)s
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO memberships (tenant_id, space_id, user_id, role, state, invited_by)
    SELECT %(tenant)s, 'sp-' || g, 'u-guest-' || g, 'member', 'invited', %(ada)s
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO memberships (tenant_id, space_id, user_id, role, state, joined_at)
    SELECT %(tenant)s, 'so-' || (g %% %(other_spaces)s), 'u-m-' || g, 'member', 'active',
        %(t0)s + g * %(step)s
    FROM generate_series(0, %(others)s - 1) AS g""",
    # Targets: the person's own knowledge items, and others'.
    """INSERT INTO targets (tenant_id, target_type, target_id, owner_id, title)
    SELECT %(tenant)s, 'knowledge', 'k-ada-' || g, %(ada)s, 'Note ' || g
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO targets (tenant_id, target_type, target_id, owner_id, title)
    SELECT %(tenant)s, 'knowledge', 'k-' || g, 'u-' || (g %% 500), 'Item ' || g
    FROM generate_series(0, %(others)s - 1) AS g""",
    # Comments: written by the person, mentioning them (one in ten moderated by
    # them), and others'.
    """INSERT INTO comments (tenant_id, comment_id, target_type, target_id, author_id, body,
        create_time, update_time)
    SELECT %(tenant)s, 'c-ada-' || g, 'knowledge', 'k-' || (g %% 50), %(ada)s,
        'My note ' || g, %(t0)s + g * %(step)s, %(t0)s + g * %(step)s
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO comments (tenant_id, comment_id, target_type, target_id, author_id, body,
        mentioned_user_ids, create_time, update_time, revision_count, moderated_by)
    SELECT %(tenant)s, 'c-men-' || g, 'knowledge', 'k-' || (g %% 50), 'u-' || (g %% 97),
        'Thanks @' || %(ada)s || '!', ARRAY[%(ada)s, 'u-grace'],
        %(t0)s + g * %(step)s, %(t0)s + g * %(step)s, 1,
        CASE WHEN g %% 10 = 0 THEN %(ada)s END
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO comment_revisions (tenant_id, comment_id, revision, body, replaced_time)
    SELECT %(tenant)s, 'c-men-' || g, 1, 'Thanks ' || %(ada)s, %(t0)s + g * %(step)s
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO comments (tenant_id, comment_id, target_type, target_id, author_id, body,
        create_time, update_time)
    SELECT %(tenant)s, 'c-o-' || g, 'knowledge', 'k-' || (g %% 50), 'u-' || (g %% 500),
        'Comment ' || g || ' about u-adam and ada', %(t0)s + g * %(step)s, %(t0)s + g * %(step)s
    FROM generate_series(0, %(others)s - 1) AS g""",
    # Likes: given by the person, of the person's content, and others'.
    """INSERT INTO likes (tenant_id, target_type, target_id, user_id, like_id, owner_id,
        active, changed_at)
    SELECT %(tenant)s, 'knowledge', 'k-' || g, %(ada)s, md5('given' || g)::uuid, 'u-grace',
        true, %(t0)s + g * %(step)s
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO likes (tenant_id, target_type, target_id, user_id, like_id, owner_id,
        active, changed_at)
    SELECT %(tenant)s, 'knowledge', 'k-ada-' || g, 'u-' || g, md5('received' || g)::uuid,
        %(ada)s, true, %(t0)s + g * %(step)s
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO likes (tenant_id, target_type, target_id, user_id, like_id, owner_id,
        active, changed_at)
    SELECT %(tenant)s, 'knowledge', 'k-' || g, 'u-' || (g %% 500), md5('other' || g)::uuid,
        'u-grace', true, %(t0)s + g * %(step)s
    FROM generate_series(0, %(others)s - 1) AS g""",
    """INSERT INTO participants (tenant_id, target_type, target_id, user_id)
    SELECT %(tenant)s, 'knowledge', 'k-' || g, %(ada)s
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO participants (tenant_id, target_type, target_id, user_id)
    SELECT %(tenant)s, 'knowledge', 'k-' || g, 'u-' || (g %% 500)
    FROM generate_series(0, %(others)s - 1) AS g""",
    # Questions asked by the person, proposed to them, others'; answers and votes.
    """INSERT INTO questions (tenant_id, question_id, asker_id, title, body, skill_ids,
        create_time)
    SELECT %(tenant)s, 'q-ada-' || g, %(ada)s, 'Question ' || g, 'How?', '{s-1}',
        %(t0)s + g * %(step)s
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO questions (tenant_id, question_id, asker_id, title, body, skill_ids,
        proposed_expert_ids, create_time)
    SELECT %(tenant)s, 'q-pro-' || g, 'u-' || (g %% 97), 'Ask ' || g,
        'Could @' || %(ada)s || ' help?', '{s-1}', ARRAY[%(ada)s], %(t0)s + g * %(step)s
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO questions (tenant_id, question_id, asker_id, title, body, skill_ids,
        create_time)
    SELECT %(tenant)s, 'q-o-' || g, 'u-' || (g %% 500), 'Other ' || g, 'Why?', '{s-1}',
        %(t0)s + g * %(step)s
    FROM generate_series(0, %(others)s - 1) AS g""",
    """INSERT INTO answers (tenant_id, answer_id, question_id, author_id, body, create_time)
    SELECT %(tenant)s, 'a-ada-' || g, 'q-pro-' || g, %(ada)s, 'Like this.', %(t0)s + g * %(step)s
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO answers (tenant_id, answer_id, question_id, author_id, body, create_time)
    SELECT %(tenant)s, 'a-o-' || g, 'q-o-' || g, 'u-' || (g %% 500), 'So.', %(t0)s + g * %(step)s
    FROM generate_series(0, %(others)s - 1) AS g""",
    """INSERT INTO answer_votes (tenant_id, answer_id, user_id, voted_at)
    SELECT %(tenant)s, 'a-o-' || g, %(ada)s, %(t0)s + g * %(step)s
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO answer_votes (tenant_id, answer_id, user_id, voted_at)
    SELECT %(tenant)s, 'a-o-' || g, 'u-voter', %(t0)s + g * %(step)s
    FROM generate_series(0, %(others)s - 1) AS g""",
    # The expert directory.
    """INSERT INTO experts (tenant_id, skill_id, user_id, validated_contributions, score)
    SELECT %(tenant)s, 's-' || g, %(ada)s, 3, 3
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO experts (tenant_id, skill_id, user_id, validated_contributions, score)
    SELECT %(tenant)s, 's-' || (g %% 1000), 'u-' || g, 1, 1
    FROM generate_series(0, %(others)s - 1) AS g""",
    """INSERT INTO expert_evidence (tenant_id, skill_id, user_id, evidence)
    SELECT %(tenant)s, 's-' || g, %(ada)s, 'knowledge:k-' || g
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO expert_evidence (tenant_id, skill_id, user_id, evidence)
    SELECT %(tenant)s, 's-' || (g %% 1000), 'u-' || g, 'knowledge:k-' || g
    FROM generate_series(0, %(others)s - 1) AS g""",
    # Moderation reports filed by the person, and others'.
    """INSERT INTO reports (tenant_id, report_id, content_type, content_id, reporter_id,
        reason, details, status, create_time)
    SELECT %(tenant)s, 'r-ada-' || g, 'comment', 'c-o-' || g, %(ada)s, 'spam', 'Spam.',
        'open', %(t0)s + g * %(step)s
    FROM generate_series(0, %(n)s - 1) AS g""",
    """INSERT INTO reports (tenant_id, report_id, content_type, content_id, reporter_id,
        reason, details, status, create_time)
    SELECT %(tenant)s, 'r-o-' || g, 'comment', 'c-o-' || g, 'u-' || (g %% 500), 'spam',
        'Spam.', 'open', %(t0)s + g * %(step)s
    FROM generate_series(0, %(other_reports)s - 1) AS g""",
    # Erasures of others the person requested (as an administrator).
    """INSERT INTO erasures (tenant_id, erasure_id, person_digest, requested_by, reason,
        requested_at)
    SELECT %(tenant)s, 'e-' || g, md5('person-' || g), %(ada)s, 'request', %(t0)s + g * %(step)s
    FROM generate_series(0, %(erasures)s - 1) AS g""",
    # Rate windows: one per action for the person, one per other person.
    """INSERT INTO rate_windows (tenant_id, action, user_id, window_start, expires_at, count)
    SELECT %(tenant)s, action, %(ada)s, timestamptz '2026-11-01',
        timestamptz '2026-11-01' + interval '1 minute', 1
    FROM unnest(%(actions)s::text[]) AS action""",
    """INSERT INTO rate_windows (tenant_id, action, user_id, window_start, expires_at, count)
    SELECT %(tenant)s, 'post', 'u-' || g, timestamptz '2026-11-01',
        timestamptz '2026-11-01' + interval '1 minute', 1
    FROM generate_series(0, %(others)s - 1) AS g""",
)


async def seed(admin_dsn: str, person_rows: int, others: int) -> int:
    """Fill the migrated database at ``admin_dsn`` (a superuser: row-level security does
    not apply to the load); return how many rows it holds."""
    params = {
        "tenant": TENANT,
        "ada": ADA,
        "n": person_rows,
        "others": others,
        "other_spaces": max(1, others // 10),
        "other_reports": max(1, others // 10),
        "erasures": max(1, person_rows // 100),
        "actions": list(RATE_ACTIONS),
        "t0": datetime(2026, 11, 1, tzinfo=UTC),
        "step": timedelta(seconds=1),
    }
    async with await psycopg.AsyncConnection.connect(admin_dsn, autocommit=True) as connection:
        async with connection.transaction():
            for statement in _STATEMENTS:
                await connection.execute(statement, params)
        await connection.execute("ANALYZE")
        total = 0
        for table in SEEDED_TABLES:
            cursor = await connection.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            row = await cursor.fetchone()
            total += int(row[0]) if row else 0
    return total


_SET_TO_PLACEHOLDER: Final = (
    "UPDATE {table} SET {column} = %(ph)s WHERE tenant_id = %(tenant)s AND {column} = %(person)s"
)
RAW_ERASURE: Final = (
    """WITH gone AS (DELETE FROM memberships WHERE tenant_id = %(tenant)s
        AND user_id = %(person)s RETURNING space_id)
    UPDATE spaces s SET member_count = s.member_count - 1 FROM gone
    WHERE s.tenant_id = %(tenant)s AND s.space_id = gone.space_id""",
    *(
        f"DELETE FROM {table} WHERE tenant_id = %(tenant)s AND user_id = %(person)s"  # noqa: S608
        for table in (
            "likes",
            "answer_votes",
            "experts",
            "expert_evidence",
            "participants",
            "rate_windows",
        )
    ),
    *(
        _SET_TO_PLACEHOLDER.format(table=table, column=column)
        for table, column in (
            ("memberships", "invited_by"),
            ("likes", "owner_id"),
            ("comments", "author_id"),
            ("questions", "asker_id"),
            ("answers", "author_id"),
            ("targets", "owner_id"),
            ("reports", "reporter_id"),
            ("erasures", "requested_by"),
        )
    ),
    """UPDATE comments SET body = replace(body, %(person)s, %(ph)s),
        mentioned_user_ids = array_replace(mentioned_user_ids, %(person)s, %(ph)s),
        moderated_by = CASE WHEN moderated_by = %(person)s THEN %(ph)s ELSE moderated_by END
    WHERE tenant_id = %(tenant)s AND %(person)s = ANY(mentioned_user_ids)""",
    """UPDATE comment_revisions SET body = replace(body, %(person)s, %(ph)s)
    WHERE tenant_id = %(tenant)s AND strpos(body, %(person)s) > 0""",
    """UPDATE questions SET body = replace(body, %(person)s, %(ph)s),
        proposed_expert_ids = array_replace(proposed_expert_ids, %(person)s, %(ph)s)
    WHERE tenant_id = %(tenant)s AND %(person)s = ANY(proposed_expert_ids)""",
    """UPDATE spaces SET created_by = %(ph)s,
        description = replace(description, %(person)s, %(ph)s)
    WHERE tenant_id = %(tenant)s AND created_by = %(person)s""",
)
"""What a DBA who knows where the person's rows are would run: no tombstone, no
regular expression over every text of the tenant (the seed's mentions are listed)."""


async def end_state(admin_dsn: str) -> dict[str, str]:
    """A digest of every seeded table's rows (as a superuser: every row)."""
    digests: dict[str, str] = {}
    async with await psycopg.AsyncConnection.connect(admin_dsn, autocommit=True) as connection:
        for table in SEEDED_TABLES:
            cursor = await connection.execute(
                f"SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"  # noqa: S608
                f" FROM {table} t"
            )
            row = await cursor.fetchone()
            digests[table] = str(row[0]) if row else ""
    return digests
