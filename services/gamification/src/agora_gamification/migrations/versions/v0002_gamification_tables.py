"""Gamification's own tables on PostgreSQL.

- ``ledger``: append-only point entries (a deterministic ``entry_id`` per event and
  rule makes a repeat a no-op). Not partitioned: rows are never updated except by
  erasure (learner id → pseudonym); retention (revision 0006) replaces a learner's old
  entries with one carried entry in the same transaction, so a learner's balance
  always equals the sum of their entries.
- ``profiles``: balance, level, streak, version and the counters the pure domain
  (``domain/profile.py``) keeps, and the ids of the learner's last applied events (a
  second guard behind the processed marks, which are purged after their retention);
  written in the same transaction as the ledger rows.
- ``person_settings``, ``space_members``, ``team_members``, ``teams``.
- ``tenant_config``: settings and the configuration version caches key on.
- ``rules`` / ``rule_versions``, ``badges``, ``awards`` / ``award_revocations``.
- ``challenges`` with ``challenge_participants``, ``challenge_progress`` and
  ``duel_attempts``; ``challenge_deadlines`` is the one table without row-level security
  (ids and times only): the deadline sweeper reads it across tenants.
- ``board_entries``: one row per (board, period, learner); ``board_entries_rank``
  serves top-N and "around me" for public entries in board order (points desc, then
  who reached them first, then learner id).
- ``board_counts``: how many public entries each points value of a board has, kept in
  the transaction that changes the entries: a board's size and the entries with more
  points than mine are sums over its distinct points values, not counts of its rows.
"""

from __future__ import annotations

from typing import Final

from alembic import op

from agora_core.postgres.schema import tenant_isolation_statements

revision = "0002"
down_revision = "0001"

TABLES: Final = {
    "tenant_config": """
        CREATE TABLE tenant_config (
            tenant_id text PRIMARY KEY,
            time_zone text,
            privacy_mode text,
            streak_grace_days integer,
            levels jsonb,
            config_version bigint NOT NULL DEFAULT 0,
            open_challenges integer NOT NULL DEFAULT 0
        )""",
    "rules": """
        CREATE TABLE rules (
            tenant_id text NOT NULL,
            rule_id text NOT NULL,
            version integer NOT NULL,
            event_type text NOT NULL,
            definition jsonb NOT NULL,
            PRIMARY KEY (tenant_id, rule_id)
        )""",
    "rule_versions": """
        CREATE TABLE rule_versions (
            tenant_id text NOT NULL,
            rule_id text NOT NULL,
            version integer NOT NULL,
            definition jsonb NOT NULL,
            stored_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, rule_id, version)
        )""",
    "badges": """
        CREATE TABLE badges (
            tenant_id text NOT NULL,
            badge_id text NOT NULL,
            version integer NOT NULL,
            definition jsonb NOT NULL,
            PRIMARY KEY (tenant_id, badge_id)
        )""",
    "profiles": """
        CREATE TABLE profiles (
            tenant_id text NOT NULL,
            learner_id text NOT NULL,
            version integer NOT NULL,
            balance bigint NOT NULL,
            level integer NOT NULL,
            streak_current integer NOT NULL,
            streak_longest integer NOT NULL,
            streak_days date[] NOT NULL,
            streak_carried integer NOT NULL,
            caps jsonb NOT NULL,
            periods jsonb NOT NULL,
            period_times jsonb NOT NULL,
            badge_progress jsonb NOT NULL,
            badges text[] NOT NULL,
            recent_events text[] NOT NULL,
            PRIMARY KEY (tenant_id, learner_id)
        )""",
    "person_settings": """
        CREATE TABLE person_settings (
            tenant_id text NOT NULL,
            person_id text NOT NULL,
            time_zone text NOT NULL,
            leaderboard_opt_out boolean NOT NULL,
            PRIMARY KEY (tenant_id, person_id)
        )""",
    "space_members": """
        CREATE TABLE space_members (
            tenant_id text NOT NULL,
            space_id text NOT NULL,
            learner_id text NOT NULL,
            PRIMARY KEY (tenant_id, space_id, learner_id)
        )""",
    "teams": """
        CREATE TABLE teams (
            tenant_id text NOT NULL,
            team_id text NOT NULL,
            name text NOT NULL,
            PRIMARY KEY (tenant_id, team_id)
        )""",
    "team_members": """
        CREATE TABLE team_members (
            tenant_id text NOT NULL,
            team_id text NOT NULL,
            learner_id text NOT NULL,
            PRIMARY KEY (tenant_id, team_id, learner_id),
            FOREIGN KEY (tenant_id, team_id) REFERENCES teams ON DELETE CASCADE
        )""",
    "ledger": """
        CREATE TABLE ledger (
            tenant_id text NOT NULL,
            entry_id text NOT NULL,
            learner_id text NOT NULL,
            points integer NOT NULL,
            balance bigint NOT NULL,
            rule_id text NOT NULL,
            rule_version integer NOT NULL,
            source_event_id text NOT NULL,
            source_event_type text NOT NULL,
            awarded_at timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, entry_id)
        )""",
    "awards": """
        CREATE TABLE awards (
            tenant_id text NOT NULL,
            award_id text NOT NULL,
            badge_id text NOT NULL,
            badge_name text NOT NULL,
            learner_id text NOT NULL,
            image_url text NOT NULL,
            skill_ids text[] NOT NULL,
            awarded_at timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, award_id)
        )""",
    "award_revocations": """
        CREATE TABLE award_revocations (
            tenant_id text NOT NULL,
            award_id text NOT NULL,
            reason text NOT NULL,
            revoked_at timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, award_id),
            FOREIGN KEY (tenant_id, award_id) REFERENCES awards ON DELETE CASCADE
        )""",
    "challenges": """
        CREATE TABLE challenges (
            tenant_id text NOT NULL,
            challenge_id text NOT NULL,
            title text NOT NULL,
            scope text NOT NULL CHECK (scope IN ('person', 'team', 'space', 'duel')),
            scope_id text NOT NULL,
            event_type text NOT NULL,
            conditions jsonb NOT NULL,
            target integer NOT NULL,
            quiz_item_id text NOT NULL,
            starts_at timestamptz NOT NULL,
            ends_at timestamptz NOT NULL,
            state text NOT NULL CHECK (state IN ('open', 'completed')),
            outcome text NOT NULL,
            winner_ids text[] NOT NULL,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL,
            completed_at timestamptz,
            PRIMARY KEY (tenant_id, challenge_id)
        )""",
    "challenge_participants": """
        CREATE TABLE challenge_participants (
            tenant_id text NOT NULL,
            challenge_id text NOT NULL,
            learner_id text NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, challenge_id, learner_id),
            FOREIGN KEY (tenant_id, challenge_id) REFERENCES challenges ON DELETE CASCADE
        )""",
    "challenge_progress": """
        CREATE TABLE challenge_progress (
            tenant_id text NOT NULL,
            challenge_id text NOT NULL,
            event_id text NOT NULL,
            learner_id text NOT NULL,
            PRIMARY KEY (tenant_id, challenge_id, event_id),
            FOREIGN KEY (tenant_id, challenge_id) REFERENCES challenges ON DELETE CASCADE
        )""",
    "duel_attempts": """
        CREATE TABLE duel_attempts (
            tenant_id text NOT NULL,
            challenge_id text NOT NULL,
            learner_id text NOT NULL,
            event_type text NOT NULL,
            score double precision NOT NULL,
            graded_at timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, challenge_id, learner_id),
            FOREIGN KEY (tenant_id, challenge_id) REFERENCES challenges ON DELETE CASCADE
        )""",
    "board_entries": """
        CREATE TABLE board_entries (
            tenant_id text NOT NULL,
            board text NOT NULL,
            period text NOT NULL,
            learner_id text NOT NULL,
            points bigint NOT NULL,
            reached_at timestamptz NOT NULL,
            public boolean NOT NULL,
            PRIMARY KEY (tenant_id, board, period, learner_id)
        )""",
    "board_counts": """
        CREATE TABLE board_counts (
            tenant_id text NOT NULL,
            board text NOT NULL,
            period text NOT NULL,
            points bigint NOT NULL,
            entries integer NOT NULL,
            PRIMARY KEY (tenant_id, board, period, points)
        )""",
}

INDEXES: Final = (
    "CREATE INDEX ledger_learner_time ON ledger "
    "(tenant_id, learner_id, awarded_at DESC, entry_id DESC)",
    "CREATE INDEX awards_learner ON awards (tenant_id, learner_id, awarded_at, award_id)",
    "CREATE INDEX space_members_learner ON space_members (tenant_id, learner_id, space_id)",
    "CREATE INDEX team_members_learner ON team_members (tenant_id, learner_id, team_id)",
    "CREATE INDEX challenges_open_type ON challenges (tenant_id, event_type) "
    "WHERE state = 'open' AND scope <> 'duel'",
    "CREATE INDEX challenges_created ON challenges (tenant_id, created_at DESC, challenge_id DESC)",
    "CREATE INDEX challenge_participants_learner ON challenge_participants "
    "(tenant_id, learner_id, created_at DESC, challenge_id DESC)",
    "CREATE INDEX board_entries_rank ON board_entries "
    "(tenant_id, board, period, points DESC, reached_at, learner_id) WHERE public",
    "CREATE INDEX board_entries_learner ON board_entries (tenant_id, learner_id, board)",
)

# The sweeper's cross-tenant view of open deadlines (no personal data: ids and times).
DEADLINES: Final = (
    """
    CREATE TABLE challenge_deadlines (
        tenant_id text NOT NULL,
        challenge_id text NOT NULL,
        ends_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, challenge_id)
    )""",
    "CREATE INDEX challenge_deadlines_due ON challenge_deadlines (ends_at, tenant_id)",
)


def upgrade() -> None:
    for name, statement in TABLES.items():
        op.execute(statement)
        for isolation in tenant_isolation_statements(name):
            op.execute(isolation)
    for statement in (*INDEXES, *DEADLINES):
        op.execute(statement)
