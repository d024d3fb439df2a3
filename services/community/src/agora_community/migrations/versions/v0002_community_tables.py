"""Community's own tables: spaces, memberships, catalog targets, threads (with edit
history), likes, popularity and participants, questions, answers and votes, the
expert directory, moderation reports, rate-limit windows, erasure records and the
tombstones of erased persons.

Typed columns for everything queried, sorted or unique; every primary key and index
leads with ``tenant_id``; each list view has the named index it is served by
(tests/community_integration/test_query_plans.py proves it).
"""

from alembic import op

from agora_core.postgres.schema import tenant_isolation_statements
from agora_core.privacy.postgres import create_privacy_schema

revision = "0002"
down_revision = "0001"

TABLES = {
    "spaces": """
        CREATE TABLE spaces (
            tenant_id text NOT NULL,
            space_id text NOT NULL,
            name text NOT NULL,
            name_folded text NOT NULL,
            description text NOT NULL,
            visibility text NOT NULL CHECK (visibility IN ('open', 'invite_only')),
            topic text NOT NULL,
            created_by text NOT NULL,
            create_time timestamptz NOT NULL,
            member_count integer NOT NULL DEFAULT 0 CHECK (member_count >= 0),
            PRIMARY KEY (tenant_id, space_id),
            CONSTRAINT spaces_name UNIQUE (tenant_id, name_folded)
        )""",
    "memberships": """
        CREATE TABLE memberships (
            tenant_id text NOT NULL,
            space_id text NOT NULL,
            user_id text NOT NULL,
            role text NOT NULL CHECK (role IN ('owner', 'moderator', 'member')),
            state text NOT NULL CHECK (state IN ('invited', 'active', 'left')),
            invited_by text,
            joined_at timestamptz,
            left_at timestamptz,
            PRIMARY KEY (tenant_id, space_id, user_id),
            FOREIGN KEY (tenant_id, space_id) REFERENCES spaces ON DELETE CASCADE
        )""",
    "targets": """
        CREATE TABLE targets (
            tenant_id text NOT NULL,
            target_type text NOT NULL CHECK (target_type IN ('knowledge', 'path')),
            target_id text NOT NULL,
            owner_id text,
            space_id text,
            title text NOT NULL DEFAULT '',
            skill_ids text[] NOT NULL DEFAULT '{}',
            archived boolean NOT NULL DEFAULT false,
            published_at timestamptz,
            PRIMARY KEY (tenant_id, target_type, target_id)
        )""",
    "comments": """
        CREATE TABLE comments (
            tenant_id text NOT NULL,
            comment_id text NOT NULL,
            target_type text NOT NULL,
            target_id text NOT NULL,
            parent_comment_id text,
            space_id text,
            author_id text NOT NULL,
            body text NOT NULL,
            mentioned_user_ids text[] NOT NULL DEFAULT '{}',
            create_time timestamptz NOT NULL,
            update_time timestamptz NOT NULL,
            deleted boolean NOT NULL DEFAULT false,
            hidden boolean NOT NULL DEFAULT false,
            revision_count integer NOT NULL DEFAULT 0,
            moderated_by text,
            moderated_at timestamptz,
            PRIMARY KEY (tenant_id, comment_id)
        )""",
    "comment_revisions": """
        CREATE TABLE comment_revisions (
            tenant_id text NOT NULL,
            comment_id text NOT NULL,
            revision integer NOT NULL,
            body text NOT NULL,
            replaced_time timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, comment_id, revision),
            FOREIGN KEY (tenant_id, comment_id) REFERENCES comments ON DELETE CASCADE
        )""",
    "likes": """
        CREATE TABLE likes (
            tenant_id text NOT NULL,
            target_type text NOT NULL,
            target_id text NOT NULL,
            user_id text NOT NULL,
            like_id uuid NOT NULL,
            owner_id text,
            space_id text,
            active boolean NOT NULL,
            changed_at timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, target_type, target_id, user_id)
        )""",
    "popularity": """
        CREATE TABLE popularity (
            tenant_id text NOT NULL,
            target_type text NOT NULL,
            target_id text NOT NULL,
            likes integer NOT NULL DEFAULT 0,
            comments integer NOT NULL DEFAULT 0,
            participants integer NOT NULL DEFAULT 0,
            trending_score double precision NOT NULL DEFAULT 0,
            trending_at timestamptz,
            trending_rank double precision,
            PRIMARY KEY (tenant_id, target_type, target_id)
        )""",
    "participants": """
        CREATE TABLE participants (
            tenant_id text NOT NULL,
            target_type text NOT NULL,
            target_id text NOT NULL,
            user_id text NOT NULL,
            PRIMARY KEY (tenant_id, target_type, target_id, user_id)
        )""",
    "questions": """
        CREATE TABLE questions (
            tenant_id text NOT NULL,
            question_id text NOT NULL,
            asker_id text NOT NULL,
            title text NOT NULL,
            body text NOT NULL,
            skill_ids text[] NOT NULL,
            space_id text,
            item_id text,
            proposed_expert_ids text[] NOT NULL DEFAULT '{}',
            answer_count integer NOT NULL DEFAULT 0,
            accepted_answer_id text,
            accepted_at timestamptz,
            hidden boolean NOT NULL DEFAULT false,
            moderated_by text,
            moderated_at timestamptz,
            create_time timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, question_id)
        )""",
    "question_skills": """
        CREATE TABLE question_skills (
            tenant_id text NOT NULL,
            skill_id text NOT NULL,
            question_id text NOT NULL,
            create_time timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, skill_id, question_id),
            FOREIGN KEY (tenant_id, question_id) REFERENCES questions ON DELETE CASCADE
        )""",
    "answers": """
        CREATE TABLE answers (
            tenant_id text NOT NULL,
            answer_id text NOT NULL,
            question_id text NOT NULL,
            space_id text,
            author_id text NOT NULL,
            body text NOT NULL,
            upvotes integer NOT NULL DEFAULT 0,
            hidden boolean NOT NULL DEFAULT false,
            moderated_by text,
            moderated_at timestamptz,
            create_time timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, answer_id),
            FOREIGN KEY (tenant_id, question_id) REFERENCES questions
        )""",
    "answer_votes": """
        CREATE TABLE answer_votes (
            tenant_id text NOT NULL,
            answer_id text NOT NULL,
            user_id text NOT NULL,
            voted_at timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, answer_id, user_id),
            FOREIGN KEY (tenant_id, answer_id) REFERENCES answers ON DELETE CASCADE
        )""",
    "experts": """
        CREATE TABLE experts (
            tenant_id text NOT NULL,
            skill_id text NOT NULL,
            user_id text NOT NULL,
            validated_contributions integer NOT NULL DEFAULT 0,
            accepted_answers integer NOT NULL DEFAULT 0,
            quiz_passes integer NOT NULL DEFAULT 0,
            completions integer NOT NULL DEFAULT 0,
            quiz_failures integer NOT NULL DEFAULT 0,
            score double precision NOT NULL DEFAULT 0,
            PRIMARY KEY (tenant_id, skill_id, user_id)
        )""",
    "expert_evidence": """
        CREATE TABLE expert_evidence (
            tenant_id text NOT NULL,
            skill_id text NOT NULL,
            user_id text NOT NULL,
            evidence text NOT NULL,
            PRIMARY KEY (tenant_id, skill_id, user_id, evidence)
        )""",
    "reports": """
        CREATE TABLE reports (
            tenant_id text NOT NULL,
            report_id text NOT NULL,
            content_type text NOT NULL,
            content_id text NOT NULL,
            reporter_id text NOT NULL,
            reason text NOT NULL,
            details text NOT NULL,
            space_id text,
            status text NOT NULL CHECK (status IN ('open', 'resolved')),
            create_time timestamptz NOT NULL,
            resolved_by text,
            resolved_at timestamptz,
            PRIMARY KEY (tenant_id, report_id)
        )""",
    "rate_windows": """
        CREATE TABLE rate_windows (
            tenant_id text NOT NULL,
            action text NOT NULL,
            user_id text NOT NULL,
            window_start timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            count integer NOT NULL,
            PRIMARY KEY (tenant_id, action, user_id)
        )""",
    "erasures": """
        CREATE TABLE erasures (
            tenant_id text NOT NULL,
            erasure_id text NOT NULL,
            person_digest text NOT NULL,
            requested_by text NOT NULL,
            reason text NOT NULL,
            requested_at timestamptz NOT NULL,
            repeats integer NOT NULL DEFAULT 0,
            repeated_at timestamptz,
            PRIMARY KEY (tenant_id, erasure_id)
        )""",
}

INDEXES = (
    # ListMySpaces: newest membership first.
    "CREATE INDEX memberships_of_person ON memberships"
    " (tenant_id, user_id, joined_at DESC, space_id) WHERE state = 'active'",
    # ListMembers: earliest first; owner counts.
    "CREATE INDEX memberships_of_space ON memberships"
    " (tenant_id, space_id, joined_at, user_id) WHERE state = 'active'",
    # DiscoverSpaces: by folded name in byte order (so a prefix is an index range).
    'CREATE INDEX spaces_by_name ON spaces (tenant_id, (name_folded COLLATE "C"), space_id)',
    # Threads, oldest first, keyset on (create_time, comment_id); readers see visible ones.
    "CREATE INDEX comments_thread ON comments"
    " (tenant_id, target_type, target_id, create_time, comment_id)",
    "CREATE INDEX comments_thread_visible ON comments"
    " (tenant_id, target_type, target_id, create_time, comment_id) WHERE NOT hidden",
    # Erasure: a person's comments and likes.
    "CREATE INDEX comments_of_author ON comments (tenant_id, author_id)",
    "CREATE INDEX likes_of_person ON likes (tenant_id, user_id)",
    "CREATE INDEX likes_of_owner ON likes (tenant_id, owner_id)",
    # Trending: rank is the decaying score's time-independent key (domain.rules).
    "CREATE INDEX popularity_trending ON popularity"
    " (tenant_id, trending_rank DESC, target_type, target_id) WHERE trending_rank IS NOT NULL",
    "CREATE INDEX popularity_trending_by_type ON popularity"
    " (tenant_id, target_type, trending_rank DESC, target_id) WHERE trending_rank IS NOT NULL",
    # Unanswered questions, oldest first: all, per space, per skill.
    "CREATE INDEX questions_unanswered ON questions (tenant_id, create_time, question_id)"
    " WHERE answer_count = 0 AND NOT hidden",
    "CREATE INDEX questions_unanswered_in_space ON questions"
    " (tenant_id, space_id, create_time, question_id) WHERE answer_count = 0 AND NOT hidden",
    "CREATE INDEX question_skills_by_time ON question_skills"
    " (tenant_id, skill_id, create_time, question_id)",
    "CREATE INDEX questions_of_asker ON questions (tenant_id, asker_id)",
    "CREATE INDEX answers_of_question ON answers (tenant_id, question_id, create_time, answer_id)",
    "CREATE INDEX answers_of_author ON answers (tenant_id, author_id)",
    "CREATE INDEX answer_votes_of_person ON answer_votes (tenant_id, user_id)",
    # FindExperts: best score first per skill.
    "CREATE INDEX experts_by_skill ON experts (tenant_id, skill_id, score DESC, user_id)"
    " WHERE score > 0",
    "CREATE INDEX experts_of_person ON experts (tenant_id, user_id)",
    # Moderation queue, oldest first: tenant-wide and per space; open reports of a content.
    "CREATE INDEX reports_open ON reports (tenant_id, create_time, report_id)"
    " WHERE status = 'open'",
    "CREATE INDEX reports_open_in_space ON reports (tenant_id, space_id, create_time, report_id)"
    " WHERE status = 'open'",
    "CREATE INDEX reports_of_content ON reports (tenant_id, content_type, content_id)",
    "CREATE INDEX reports_of_reporter ON reports (tenant_id, reporter_id)",
    # Purge of expired rate windows.
    "CREATE INDEX rate_windows_expiry ON rate_windows (tenant_id, expires_at)",
)


def upgrade() -> None:
    for table, statement in TABLES.items():
        op.execute(statement)
        for isolation in tenant_isolation_statements(table):
            op.execute(isolation)
    for statement in INDEXES:
        op.execute(statement)
    create_privacy_schema()  # erased_persons: tombstones of erased people (digests)
