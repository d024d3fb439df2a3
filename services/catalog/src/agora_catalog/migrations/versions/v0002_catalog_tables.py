"""The catalog's own tables: taxonomy, items (with versions and their search vector),
paths, enrolments, assignments, progress and quiz attempts.

Every table leads its primary key and indexes with ``tenant_id`` and has row-level
security. Search is PostgreSQL full-text search: two text search configurations fold
accents before stemming (``agora_fr``, ``agora_en``; ``agora_simple`` for other
languages), the repository stores each item's weighted ``search_vector`` (title A,
summary B, body C) in its language's configuration, and ``search_text`` (folded title
and summary) serves the trigram fallback for typos. ``btree_gin`` lets the GIN indexes
lead with ``tenant_id``; all three extensions are trusted (the owner may create them).
"""

from __future__ import annotations

from typing import Final

from alembic import op

from agora_core.postgres.schema import tenant_isolation_statements

revision = "0002"
down_revision = "0001"

TABLES: Final = (
    "tenant_settings",
    "themes",
    "skills",
    "items",
    "item_versions",
    "paths",
    "enrolments",
    "assignments",
    "progress",
    "quiz_attempts",
)

_STATEMENTS: Final = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE TEXT SEARCH CONFIGURATION agora_fr (COPY = french)",
    "ALTER TEXT SEARCH CONFIGURATION agora_fr ALTER MAPPING FOR hword, hword_part, word "
    "WITH unaccent, french_stem",
    "CREATE TEXT SEARCH CONFIGURATION agora_en (COPY = english)",
    "ALTER TEXT SEARCH CONFIGURATION agora_en ALTER MAPPING FOR hword, hword_part, word "
    "WITH unaccent, english_stem",
    "CREATE TEXT SEARCH CONFIGURATION agora_simple (COPY = simple)",
    "ALTER TEXT SEARCH CONFIGURATION agora_simple ALTER MAPPING FOR hword, hword_part, word "
    "WITH unaccent, simple",
    """
    CREATE TABLE tenant_settings (
        tenant_id text PRIMARY KEY,
        informal_publishing_allowed boolean NOT NULL DEFAULT false
    )
    """,
    """
    CREATE TABLE themes (
        tenant_id text NOT NULL,
        theme_id text NOT NULL,
        name text NOT NULL,
        parent_id text NOT NULL DEFAULT '',
        ancestors text[] NOT NULL DEFAULT '{}',
        PRIMARY KEY (tenant_id, theme_id)
    )
    """,
    """
    CREATE TABLE skills (
        tenant_id text NOT NULL,
        skill_id text NOT NULL,
        name text NOT NULL,
        expert_ids text[] NOT NULL DEFAULT '{}',
        trainer_ids text[] NOT NULL DEFAULT '{}',
        reviewer_ids text[] NOT NULL DEFAULT '{}',
        PRIMARY KEY (tenant_id, skill_id)
    )
    """,
    "CREATE INDEX skills_reviewers ON skills USING gin (tenant_id, reviewer_ids)",
    """
    CREATE TABLE items (
        tenant_id text NOT NULL,
        item_id text NOT NULL,
        type text NOT NULL,
        status text NOT NULL,
        title text NOT NULL,
        summary text NOT NULL DEFAULT '',
        language text NOT NULL,
        language_base text NOT NULL,
        estimated_minutes integer NOT NULL DEFAULT 0,
        theme_ids text[] NOT NULL DEFAULT '{}',
        theme_scope text[] NOT NULL DEFAULT '{}',
        skill_ids text[] NOT NULL DEFAULT '{}',
        skill_levels smallint[] NOT NULL DEFAULT '{}',
        space_id text NOT NULL DEFAULT '',
        content jsonb NOT NULL,
        answer_key jsonb,
        seats_left integer,
        registered_ids text[] NOT NULL DEFAULT '{}',
        author_id text NOT NULL,
        version integer NOT NULL,
        like_count integer NOT NULL DEFAULT 0,
        comment_count integer NOT NULL DEFAULT 0,
        popularity integer NOT NULL DEFAULT 0,
        reviewer_id text NOT NULL DEFAULT '',
        review_comment text NOT NULL DEFAULT '',
        validated boolean NOT NULL DEFAULT false,
        create_time timestamptz NOT NULL,
        update_time timestamptz NOT NULL,
        publish_time timestamptz,
        sort_time timestamptz NOT NULL,
        search_vector tsvector NOT NULL,
        search_text text NOT NULL,
        PRIMARY KEY (tenant_id, item_id)
    )
    """,
    # Search and lists: newest first, most popular first, by author, the review queue.
    "CREATE INDEX items_recent ON items (tenant_id, status, sort_time DESC, item_id DESC)",
    "CREATE INDEX items_popular ON items (tenant_id, status, popularity DESC, item_id DESC)",
    "CREATE INDEX items_author "
    "ON items (tenant_id, author_id, status, sort_time DESC, item_id DESC)",
    "CREATE INDEX items_reviewer ON items (tenant_id, reviewer_id) WHERE reviewer_id <> ''",
    "CREATE INDEX items_search ON items USING gin (tenant_id, search_vector)",
    "CREATE INDEX items_trigram ON items USING gin (tenant_id, search_text gin_trgm_ops)",
    "CREATE INDEX items_skills ON items USING gin (tenant_id, skill_ids)",
    "CREATE INDEX items_themes ON items USING gin (tenant_id, theme_scope)",
    "CREATE INDEX items_registered ON items USING gin (tenant_id, registered_ids)",
    """
    CREATE TABLE item_versions (
        tenant_id text NOT NULL,
        item_id text NOT NULL,
        version integer NOT NULL,
        title text NOT NULL,
        summary text NOT NULL,
        content jsonb NOT NULL,
        editor_id text NOT NULL,
        create_time timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, item_id, version)
    )
    """,
    "CREATE INDEX item_versions_editor ON item_versions (tenant_id, editor_id)",
    """
    CREATE TABLE paths (
        tenant_id text NOT NULL,
        path_id text NOT NULL,
        title text NOT NULL,
        description text NOT NULL DEFAULT '',
        objectives text[] NOT NULL DEFAULT '{}',
        step_item_ids text[] NOT NULL,
        step_mandatory boolean[] NOT NULL,
        target_skill_ids text[] NOT NULL DEFAULT '{}',
        target_skill_levels smallint[] NOT NULL DEFAULT '{}',
        onboarding boolean NOT NULL DEFAULT false,
        space_id text NOT NULL DEFAULT '',
        author_id text NOT NULL,
        status text NOT NULL,
        like_count integer NOT NULL DEFAULT 0,
        comment_count integer NOT NULL DEFAULT 0,
        popularity integer NOT NULL DEFAULT 0,
        create_time timestamptz NOT NULL,
        published_at timestamptz,
        archived_at timestamptz,
        PRIMARY KEY (tenant_id, path_id)
    )
    """,
    "CREATE INDEX paths_recent ON paths (tenant_id, status, create_time DESC, path_id DESC)",
    "CREATE INDEX paths_onboarding ON paths (tenant_id, create_time DESC, path_id DESC) "
    "WHERE status = 'published' AND onboarding",
    "CREATE INDEX paths_author ON paths (tenant_id, author_id)",
    """
    CREATE TABLE enrolments (
        tenant_id text NOT NULL,
        learner_id text NOT NULL,
        path_id text NOT NULL,
        path_title text NOT NULL,
        step_item_ids text[] NOT NULL,
        step_mandatory boolean[] NOT NULL,
        target_skill_ids text[] NOT NULL DEFAULT '{}',
        target_skill_levels smallint[] NOT NULL DEFAULT '{}',
        completed_item_ids text[] NOT NULL DEFAULT '{}',
        self_enrolled boolean NOT NULL,
        enrolled_at timestamptz NOT NULL,
        completed boolean NOT NULL DEFAULT false,
        completed_at timestamptz,
        PRIMARY KEY (tenant_id, learner_id, path_id)
    )
    """,
    "CREATE INDEX enrolments_recent ON enrolments (tenant_id, learner_id, enrolled_at DESC)",
    """
    CREATE TABLE assignments (
        tenant_id text NOT NULL,
        assignment_id text NOT NULL,
        learner_id text NOT NULL,
        assigned_by text NOT NULL,
        target_kind text NOT NULL,
        target_id text NOT NULL,
        target_title text NOT NULL,
        due_at timestamptz,
        compliance boolean NOT NULL DEFAULT false,
        assigned_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, assignment_id)
    )
    """,
    "CREATE INDEX assignments_learner "
    "ON assignments (tenant_id, learner_id, assigned_at DESC, assignment_id DESC)",
    "CREATE INDEX assignments_assigner "
    "ON assignments (tenant_id, assigned_by, assigned_at DESC, assignment_id DESC)",
    """
    CREATE TABLE progress (
        tenant_id text NOT NULL,
        learner_id text NOT NULL,
        item_id text NOT NULL,
        item_title text NOT NULL,
        item_type text NOT NULL,
        percent smallint NOT NULL DEFAULT 0,
        last_position text NOT NULL DEFAULT '',
        completed boolean NOT NULL DEFAULT false,
        started_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        completed_at timestamptz,
        skill_ids text[] NOT NULL DEFAULT '{}',
        PRIMARY KEY (tenant_id, learner_id, item_id)
    )
    """,
    "CREATE INDEX progress_recent "
    "ON progress (tenant_id, learner_id, updated_at DESC, item_id DESC)",
    "CREATE INDEX progress_completed ON progress (tenant_id) WHERE completed",
    """
    CREATE TABLE quiz_attempts (
        tenant_id text NOT NULL,
        learner_id text NOT NULL,
        item_id text NOT NULL,
        number integer NOT NULL,
        score_percent double precision NOT NULL,
        passed boolean NOT NULL,
        question_ids text[] NOT NULL,
        question_correct boolean[] NOT NULL,
        skill_ids text[] NOT NULL DEFAULT '{}',
        graded_at timestamptz NOT NULL,
        attempts_left integer NOT NULL,
        PRIMARY KEY (tenant_id, learner_id, item_id, number)
    )
    """,
]

SEARCHED: Final = "items"
"""Row-level security binds every role but the owner on this table (ENABLE without
FORCE): PostgreSQL never uses an index for a condition whose operator is not leakproof
under a policy, and full-text (``@@``), trigram (``<%``) and array (``@>``) operators
are not, so the search indexes would serve nothing. The service's own queries on it all
carry ``tenant_id = …`` (the first wall; see adapters/postgres)."""


def _searched_table_isolation(table: str) -> list[str]:
    return [
        statement
        for statement in tenant_isolation_statements(table)
        if "FORCE ROW LEVEL SECURITY" not in statement
    ]


def upgrade() -> None:
    for statement in _STATEMENTS:
        op.execute(statement)
    for table in TABLES:
        isolation = (
            _searched_table_isolation(table)
            if table == SEARCHED
            else tenant_isolation_statements(table)
        )
        for statement in isolation:
            op.execute(statement)
