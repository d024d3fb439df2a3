"""Right to erasure in notifications: everything addressed to the person goes, and
the person's id is taken out of what others received.

Deleted: the person's inbox, their email deliveries and delivery log (address, rendered
mail, unsubscribe links), their profile (email address, locale, time zone, nudge
schedule, what was learnt from events), their own preference layer and their reminder
schedule; webhook deliveries whose event names the person (pending ones are not sent
any more); the xAPI statement documents of their events (pending ones are not
published any more). Kept with ``[deleted user]``: other people's notifications and emails whose
text names the person ("u-ada commented: …"). Webhook subscriptions belong to the
tenant (an admin creates them, no owner is stored) and live in PostgreSQL
(adapters/postgres/webhook_subscriptions.py), outside this plan.
"""

from __future__ import annotations

from typing import Final

from agora_core.privacy import Anonymise, Delete, ErasurePlan
from agora_notifications.adapters.collections import (
    CATALOG_ITEMS,
    CATALOG_PATHS,
    DELIVERIES,
    NOTIFICATIONS,
    PEOPLE,
    PREFERENCES,
    TRACKED,
)
from agora_notifications.service_layer.xapi_projector import XAPI_STATEMENTS

_RENDERED: Final = ("title", "body", "email.subject", "email.text", "email.html")

ERASURE_PLAN: Final = ErasurePlan(
    steps=(
        Delete(NOTIFICATIONS, ("recipient_id",), "the person's inbox"),
        Delete(
            DELIVERIES,
            ("recipient_id", "webhook.headers.ce_actorid"),
            "the person's emails and log; webhook deliveries of events about them",
            text_fields=("webhook.body",),
        ),
        Delete(PEOPLE, ("person_id",), "email address, time zone, nudges, activity"),
        Delete(PREFERENCES, ("scope_id",), "the person's own preference layer"),
        Delete(TRACKED, ("learner_id",), "the person's reminder schedule"),
        Delete(
            XAPI_STATEMENTS,
            ("learner_id",),
            "xAPI statements of the person's events not yet purged (pending: never sent)",
        ),
        Anonymise(
            NOTIFICATIONS, (), "others' inbox entries naming the person", text_fields=_RENDERED
        ),
        Anonymise(DELIVERIES, (), "others' emails naming the person", text_fields=_RENDERED),
    ),
    not_personal={
        CATALOG_ITEMS: "projection of published items (titles, durations, skills)",
        CATALOG_PATHS: "projection of published paths",
    },
)
