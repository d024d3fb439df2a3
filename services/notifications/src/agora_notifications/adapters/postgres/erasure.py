"""What notifications erases of a person on PostgreSQL, as idempotent SQL steps of
``agora_core.privacy.postgres`` (all in the consumer's one transaction).

Deleted: the person's inbox; their email deliveries and log (address, rendered mail,
unsubscribe links) and webhook deliveries whose event is about them (by the event's
actor, or naming them in the body), with their queue rows so none is sent any more;
their profile (email address, locale, time zone, nudge schedule, what was learnt from
events) and nudge slot; their own preference layer; their tracked work, reminder and
assignment-alert slots; their held-digest slot; the xAPI statements of their events.
Kept with ``[deleted user]``: other people's notifications and emails whose text names
the person. The queue tables hold keys only and follow the rows they point at.
"""

from __future__ import annotations

from typing import Final

from agora_core.postgres import Database
from agora_core.privacy.postgres import ErasureStep, PostgresPersonEraser, sql_step


def _scrub_text(table: str, *columns: str) -> str:
    sets = ", ".join(
        f"{c} = regexp_replace({c}, %(pattern)s, %(placeholder)s, 'g')" for c in columns
    )
    matches = " OR ".join(f"{c} ~ %(pattern)s" for c in columns)
    return f"UPDATE {table} SET {sets} WHERE tenant_id = %(tenant)s AND ({matches})"


_ABOUT_THEM: Final = (
    "(d.recipient_id = %(person)s OR d.webhook -> 'headers' ->> 'ce_actorid' = %(person)s"
    " OR d.webhook ->> 'body' ~ %(pattern)s)"
)
_THEIR_QUEUED: Final = (
    "DELETE FROM delivery_queue AS q USING deliveries AS d WHERE q.tenant_id = %(tenant)s"
    f" AND d.tenant_id = q.tenant_id AND d.delivery_id = q.delivery_id AND {_ABOUT_THEM}"
)
_THEIR_DELIVERIES: Final = (
    f"DELETE FROM deliveries AS d WHERE d.tenant_id = %(tenant)s AND {_ABOUT_THEM}"
)
_OTHERS_EMAILS: Final = (
    "UPDATE deliveries SET"
    " title = regexp_replace(title, %(pattern)s, %(placeholder)s, 'g'),"
    " body = regexp_replace(body, %(pattern)s, %(placeholder)s, 'g'),"
    " email = regexp_replace(email::text, %(pattern)s, %(placeholder)s, 'g')::jsonb"
    " WHERE tenant_id = %(tenant)s AND channel = 'email'"
    " AND (title ~ %(pattern)s OR body ~ %(pattern)s OR email::text ~ %(pattern)s)"
)

ERASURE_STEPS: Final[list[tuple[str, ErasureStep]]] = [
    (
        "notifications",
        sql_step(
            "DELETE FROM notifications WHERE tenant_id = %(tenant)s AND recipient_id = %(person)s",
            _scrub_text("notifications", "title", "body"),
        ),
    ),
    ("deliveries", sql_step(_THEIR_QUEUED, _THEIR_DELIVERIES, _OTHERS_EMAILS)),
    (
        "people",
        sql_step(
            "DELETE FROM people WHERE tenant_id = %(tenant)s AND person_id = %(person)s",
            "DELETE FROM nudge_queue WHERE tenant_id = %(tenant)s AND person_id = %(person)s",
        ),
    ),
    (
        "preference_layers",
        sql_step(
            "DELETE FROM preference_layers WHERE tenant_id = %(tenant)s"
            " AND scope = 'person' AND scope_id = %(person)s"
        ),
    ),
    (
        "tracked_work",
        sql_step(
            "DELETE FROM tracked_work WHERE tenant_id = %(tenant)s AND learner_id = %(person)s",
            "DELETE FROM reminder_queue WHERE tenant_id = %(tenant)s AND learner_id = %(person)s",
            "DELETE FROM assignment_queue WHERE tenant_id = %(tenant)s AND learner_id = %(person)s",
        ),
    ),
    (
        "digest_queue",
        sql_step(
            "DELETE FROM digest_queue WHERE tenant_id = %(tenant)s AND recipient_id = %(person)s"
        ),
    ),
    (
        "xapi_statements",
        sql_step(
            "DELETE FROM xapi_statements WHERE tenant_id = %(tenant)s AND actor_id = %(person)s"
        ),
    ),
]

NOT_PERSONAL: Final = {
    "catalog_items": "projection of published items (titles, durations, skills)",
    "catalog_path_items": "projection of published paths",
    "delivery_queue": "keys and due times; its rows go with their deliveries",
    "reminder_queue": "keys and due times; its rows go with the tracked work",
    "assignment_queue": "keys and due times; its rows go with the tracked work",
    "nudge_queue": "keys and due times; its rows go with the person's profile",
    "webhook_subscriptions": "a tenant's integration endpoints (URL, event filters)",
    "webhook_secrets": "signing keys of the tenant's webhook subscriptions",
}


def person_eraser(database: Database) -> PostgresPersonEraser:
    """The eraser the consumer's ``with_erasure_batch`` wraps the handlers with."""
    return PostgresPersonEraser(database, ERASURE_STEPS, not_personal=NOT_PERSONAL)
