"""Notifications' own tables: the inbox, preference layers, people (profile, nudge
schedule, catalog interests), the delivery log (email and webhook deliveries, held
digest entries), the work queue of due deliveries, tracked work (reminder schedule),
the catalog projections the nudges read, xAPI statements, and the tombstones of erased
persons.

Typed columns for everything queried, sorted or unique; JSONB only for free-form
content (rendered email, webhook headers, attempt log entries, xAPI statements). Every
tenant table's primary key and indexes lead with ``tenant_id`` and carry row-level
security.

Cross-tenant work (the delivery workers, the scheduler) never scans a tenant table: it
claims keys from the queue tables below (``delivery_queue``, ``reminder_queue``,
``assignment_queue``, ``digest_queue``, ``nudge_queue``), which hold only a tenant, a
key and a due time (no personal data) and, like the shared ``outbox`` the relay reads
across tenants, have no row-level security. A worker claims due keys there with
``FOR UPDATE SKIP LOCKED`` and moves each claimed key's due time forward by its lease (a
crashed worker's claim comes due again when the lease ends), then opens a unit of work
for the key's tenant to read and change the tenant rows under row-level security.
"""

from alembic import op

from agora_core.postgres.schema import tenant_isolation_statements
from agora_core.privacy.postgres import create_privacy_schema

revision = "0002"
down_revision = "0001"

_STATES = "('pending', 'delivered', 'failed', 'held', 'digested', 'cancelled')"

TABLES = {
    "notifications": """
        CREATE TABLE notifications (
            tenant_id text NOT NULL,
            notification_id text NOT NULL,
            recipient_id text NOT NULL,
            category text NOT NULL,
            title text NOT NULL,
            body text NOT NULL,
            subject_id text NOT NULL DEFAULT '',
            space_id text,
            source_event_id text,
            create_time timestamptz NOT NULL,
            read_time timestamptz,
            PRIMARY KEY (tenant_id, notification_id)
        )""",
    "preference_layers": """
        CREATE TABLE preference_layers (
            tenant_id text NOT NULL,
            scope text NOT NULL CHECK (scope IN ('tenant', 'space', 'person')),
            scope_id text NOT NULL,
            rules jsonb NOT NULL DEFAULT '{}',
            quiet_start time,
            quiet_end time,
            forced_categories text[] NOT NULL DEFAULT '{}',
            update_time timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, scope, scope_id),
            CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
        )""",
    "people": """
        CREATE TABLE people (
            tenant_id text NOT NULL,
            person_id text NOT NULL,
            email text NOT NULL DEFAULT '',
            locale text NOT NULL DEFAULT 'en',
            time_zone text NOT NULL DEFAULT 'UTC',
            nudge_cadence text NOT NULL DEFAULT 'off'
                CHECK (nudge_cadence IN ('off', 'daily', 'weekly')),
            nudge_hour smallint NOT NULL DEFAULT 9 CHECK (nudge_hour BETWEEN 0 AND 23),
            nudge_weekday smallint NOT NULL DEFAULT 1 CHECK (nudge_weekday BETWEEN 1 AND 7),
            next_nudge_at timestamptz,
            path_ids text[] NOT NULL DEFAULT '{}',
            completed_item_ids text[] NOT NULL DEFAULT '{}',
            skill_ids text[] NOT NULL DEFAULT '{}',
            update_time timestamptz,
            PRIMARY KEY (tenant_id, person_id)
        )""",
    "deliveries": f"""
        CREATE TABLE deliveries (
            tenant_id text NOT NULL,
            delivery_id text NOT NULL,
            channel text NOT NULL CHECK (channel IN ('email', 'webhook')),
            state text NOT NULL CHECK (state IN {_STATES}),
            recipient_id text NOT NULL DEFAULT '',
            subscription_id text NOT NULL DEFAULT '',
            notification_id text NOT NULL DEFAULT '',
            event_type text NOT NULL DEFAULT '',
            category text NOT NULL DEFAULT '',
            source_event_id text,
            attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            last_error text NOT NULL DEFAULT '',
            next_attempt_at timestamptz,
            retried boolean NOT NULL DEFAULT false,
            create_time timestamptz NOT NULL,
            delivered_at timestamptz,
            failed_at timestamptz,
            title text NOT NULL DEFAULT '',
            body text NOT NULL DEFAULT '',
            email jsonb,
            webhook jsonb,
            digest_mode text CHECK (digest_mode IN ('daily', 'weekly')),
            digest_send_at timestamptz,
            digest_key text,
            digest_id text,
            digest_items text[] NOT NULL DEFAULT '{{}}',
            log jsonb NOT NULL DEFAULT '[]',
            PRIMARY KEY (tenant_id, delivery_id),
            CHECK ((channel = 'email') = (email IS NOT NULL)),
            CHECK ((channel = 'webhook') = (webhook IS NOT NULL))
        )""",
    "tracked_work": """
        CREATE TABLE tracked_work (
            tenant_id text NOT NULL,
            learner_id text NOT NULL,
            kind text NOT NULL,
            work_id text NOT NULL,
            title text NOT NULL DEFAULT '',
            space_id text,
            path_id text,
            completed boolean NOT NULL DEFAULT false,
            last_activity_at timestamptz,
            next_reminder_at timestamptz,
            reminders_sent integer NOT NULL DEFAULT 0 CHECK (reminders_sent >= 0),
            assignment_id text,
            assigned_by text,
            compliance boolean NOT NULL DEFAULT false,
            due_at timestamptz,
            due_soon_sent boolean NOT NULL DEFAULT false,
            overdue_sent boolean NOT NULL DEFAULT false,
            stalled boolean NOT NULL DEFAULT false,
            stalled_reported boolean NOT NULL DEFAULT false,
            PRIMARY KEY (tenant_id, learner_id, kind, work_id)
        )""",
    "catalog_items": """
        CREATE TABLE catalog_items (
            tenant_id text NOT NULL,
            item_id text NOT NULL,
            title text NOT NULL DEFAULT '',
            estimated_minutes integer NOT NULL DEFAULT 0,
            skill_ids text[] NOT NULL DEFAULT '{}',
            archived boolean NOT NULL DEFAULT false,
            PRIMARY KEY (tenant_id, item_id)
        )""",
    "catalog_path_items": """
        CREATE TABLE catalog_path_items (
            tenant_id text NOT NULL,
            path_id text NOT NULL,
            item_id text NOT NULL,
            position integer NOT NULL,
            PRIMARY KEY (tenant_id, path_id, item_id)
        )""",
    "xapi_statements": """
        CREATE TABLE xapi_statements (
            tenant_id text NOT NULL,
            statement_id uuid NOT NULL,
            actor_id text NOT NULL,
            verb text NOT NULL,
            stored_at timestamptz NOT NULL,
            statement jsonb NOT NULL,
            PRIMARY KEY (tenant_id, statement_id)
        )""",
}

QUEUES = {
    # One row per pending delivery; the worker's lease moves due_at forward.
    "delivery_queue": """
        CREATE TABLE delivery_queue (
            tenant_id text NOT NULL,
            delivery_id text NOT NULL,
            due_at timestamptz NOT NULL,
            lease_owner uuid,
            PRIMARY KEY (tenant_id, delivery_id)
        )""",
    # One row per tracked work item with a reminder still to come.
    "reminder_queue": """
        CREATE TABLE reminder_queue (
            tenant_id text NOT NULL,
            learner_id text NOT NULL,
            kind text NOT NULL,
            work_id text NOT NULL,
            due_at timestamptz NOT NULL,
            lease_owner uuid,
            PRIMARY KEY (tenant_id, learner_id, kind, work_id)
        )""",
    # One row per assignment with a due-soon or overdue alert still to send, due when
    # the next of them is.
    "assignment_queue": """
        CREATE TABLE assignment_queue (
            tenant_id text NOT NULL,
            learner_id text NOT NULL,
            kind text NOT NULL,
            work_id text NOT NULL,
            due_at timestamptz NOT NULL,
            lease_owner uuid,
            PRIMARY KEY (tenant_id, learner_id, kind, work_id)
        )""",
    # One row per person with held digest email, due at the earliest send time.
    "digest_queue": """
        CREATE TABLE digest_queue (
            tenant_id text NOT NULL,
            recipient_id text NOT NULL,
            due_at timestamptz NOT NULL,
            lease_owner uuid,
            PRIMARY KEY (tenant_id, recipient_id)
        )""",
    # One row per person with nudges on.
    "nudge_queue": """
        CREATE TABLE nudge_queue (
            tenant_id text NOT NULL,
            person_id text NOT NULL,
            due_at timestamptz NOT NULL,
            lease_owner uuid,
            PRIMARY KEY (tenant_id, person_id)
        )""",
}

INDEXES = (
    # ListInbox: newest first, keyset on (create_time, notification_id); unread only too.
    "CREATE INDEX notifications_inbox ON notifications"
    " (tenant_id, recipient_id, create_time DESC, notification_id DESC)",
    # GetUnreadCount, ListInbox(unread_only), MarkAllRead: the unread ones only.
    "CREATE INDEX notifications_unread ON notifications"
    " (tenant_id, recipient_id, create_time DESC, notification_id DESC)"
    " WHERE read_time IS NULL",
    # ListDeliveries: newest first, per subscription, per recipient.
    "CREATE INDEX deliveries_log ON deliveries (tenant_id, create_time DESC, delivery_id DESC)",
    "CREATE INDEX deliveries_of_subscription ON deliveries"
    " (tenant_id, subscription_id, create_time DESC, delivery_id DESC)"
    " WHERE subscription_id <> ''",
    "CREATE INDEX deliveries_of_recipient ON deliveries"
    " (tenant_id, recipient_id, create_time DESC, delivery_id DESC)",
    # DeleteWebhookSubscription cancels the subscription's pending deliveries.
    "CREATE INDEX deliveries_pending_of_subscription ON deliveries"
    " (tenant_id, subscription_id) WHERE state = 'pending'",
    # The digest run: a person's held email, by send time (digest_queue says who is due).
    "CREATE INDEX deliveries_held ON deliveries (tenant_id, recipient_id, digest_send_at)"
    " WHERE state = 'held'",
    # Stalled work still to report, per tenant (the reminder run that marks work stalled
    # reports it in the same tenant's transaction).
    "CREATE INDEX tracked_work_stalled ON tracked_work (tenant_id, learner_id)"
    " WHERE stalled AND NOT stalled_reported AND NOT completed",
    # Nudges: short items by skill, items of a path.
    "CREATE INDEX catalog_items_short ON catalog_items (tenant_id, estimated_minutes)"
    " WHERE NOT archived",
    # xAPI: a person's statements (erasure, LRS export) and the retention sweep.
    "CREATE INDEX xapi_statements_of_actor ON xapi_statements (tenant_id, actor_id)",
    "CREATE INDEX xapi_statements_stored ON xapi_statements (tenant_id, stored_at)",
    # Queues: the cross-tenant due scans, earliest first.
    "CREATE INDEX delivery_queue_due ON delivery_queue (due_at)",
    "CREATE INDEX reminder_queue_due ON reminder_queue (due_at)",
    "CREATE INDEX assignment_queue_due ON assignment_queue (due_at)",
    "CREATE INDEX digest_queue_due ON digest_queue (due_at)",
    "CREATE INDEX nudge_queue_due ON nudge_queue (due_at)",
)


def upgrade() -> None:
    for statement in (*TABLES.values(), *QUEUES.values(), *INDEXES):
        op.execute(statement)
    for table in TABLES:
        for statement in tenant_isolation_statements(table):
            op.execute(statement)
    create_privacy_schema()
