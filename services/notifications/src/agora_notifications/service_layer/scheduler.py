"""Time-driven work: relaunch reminders, assignment alerts, stalled-work digests for
managers, email digests and microlearning nudges.

``run_due(now)`` does everything due at ``now`` and is idempotent: every notification
it makes has a deterministic source key (reminder n° k of a tracked item, the overdue
alert of an assignment, the nudge of a given slot), and every state change is
conditional on the state it read, so two replicas ticking at once, or a tick re-run
after a crash, send nothing twice. The background loop calls it with the injected
clock; tests drive the clock and call it directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from agora_core.background import PeriodicTask
from agora_core.storage import Document, TenantRepository
from agora_notifications.adapters.collections import (
    CATALOG_ITEMS,
    CATALOG_PATHS,
    DELIVERIES,
    PEOPLE,
    TRACKED,
)
from agora_notifications.adapters.email_rendering import EmailRenderer
from agora_notifications.adapters.profiles import People, profile_from_document
from agora_notifications.domain.messages import Text
from agora_notifications.domain.model import (
    WILDCARD,
    Category,
    DeliveryState,
    DigestMode,
    NotificationDraft,
)
from agora_notifications.domain.schedule import next_nudge_time, reminder_delay
from agora_notifications.service_layer.notifier import Notifier
from agora_notifications.service_layer.ports import Clock, Waker

log = structlog.get_logger(__name__)

_BATCH = 500


@dataclass
class TickReport:
    """What one tick did (for logs and tests)."""

    reminders: int = 0
    due_soon: int = 0
    overdue: int = 0
    stalled_digests: int = 0
    email_digests: int = 0
    nudges: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReminderPolicy:
    inactivity: timedelta
    factor: float
    max_count: int
    due_soon: timedelta


class Scheduler:
    """Runs everything whose time has come."""

    def __init__(
        self,
        database: AsyncDatabase[Document],
        *,
        notifier: Notifier,
        people: People,
        renderer: EmailRenderer,
        clock: Clock,
        worker: Waker,
        policy: ReminderPolicy,
        nudge_max_minutes: int,
        interval: float,
    ) -> None:
        self._tracked = database[TRACKED]
        self._deliveries = database[DELIVERIES]
        self._people_collection = database[PEOPLE]
        self._items = database[CATALOG_ITEMS]
        self._paths = database[CATALOG_PATHS]
        self._notifier = notifier
        self._people = people
        self._renderer = renderer
        self._clock = clock
        self._worker = worker
        self._policy = policy
        self._nudge_max_minutes = nudge_max_minutes
        self._loop = PeriodicTask("notification-scheduler", self._tick, interval)
        self._lock = asyncio.Lock()

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _tick(self) -> None:
        await self.run_due(self._clock.now())

    async def run_due(self, now: datetime) -> TickReport:
        """Do everything due at ``now``."""
        async with self._lock:
            report = TickReport()
            await self._reminders(now, report)
            await self._assignment_alerts(now, report)
            await self._stalled_work(now, report)
            await self._email_digests(now, report)
            await self._nudges(now, report)
            self._worker.notify()
            return report

    # -- relaunch reminders --------------------------------------------------------------

    async def _reminders(self, now: datetime, report: TickReport) -> None:
        due = await self._tracked.find(
            {
                "completed": False,
                "next_reminder_at": {"$lte": now},
                "reminders_sent": {"$lt": self._policy.max_count},
            },
            limit=_BATCH,
        ).to_list()
        for tracked in due:
            sent = int(tracked.get("reminders_sent", 0))
            draft = NotificationDraft(
                recipient_id=tracked["learner_id"],
                category=Category.RELAUNCH_REMINDER,
                source_key=f"reminder:{tracked['_id']}:{sent + 1}",
                subject_id=tracked["target_id"],
                params={"title": tracked.get("title", "")},
            )
            await self._notifier.notify(tracked["tenant_id"], [draft], now)
            last = sent + 1 >= self._policy.max_count
            update: dict[str, Any] = {
                "reminders_sent": sent + 1,
                "next_reminder_at": (
                    None
                    if last
                    else now
                    + reminder_delay(self._policy.inactivity, sent + 1, self._policy.factor)
                ),
            }
            if last and tracked.get("assignment"):
                update["stalled"] = True
                update["stalled_reported"] = False
            changed = await self._tracked.update_one(
                {"_id": tracked["_id"], "reminders_sent": sent, "completed": False},
                {"$set": update},
            )
            report.reminders += changed.modified_count

    # -- assignment due soon / overdue -----------------------------------------------------

    async def _assignment_alerts(self, now: datetime, report: TickReport) -> None:
        for flag, category, horizon in (
            ("overdue_sent", Category.ASSIGNMENT_OVERDUE, now),
            ("due_soon_sent", Category.ASSIGNMENT_DUE_SOON, now + self._policy.due_soon),
        ):
            due = await self._tracked.find(
                {
                    "completed": False,
                    "assignment.due_at": {"$lte": horizon},
                    f"assignment.{flag}": False,
                },
                limit=_BATCH,
            ).to_list()
            for tracked in due:
                assignment = tracked["assignment"]
                if category is Category.ASSIGNMENT_DUE_SOON and assignment.get("overdue_sent"):
                    continue
                draft = NotificationDraft(
                    recipient_id=tracked["learner_id"],
                    category=category,
                    source_key=f"{flag}:{assignment['assignment_id']}",
                    subject_id=tracked["target_id"],
                    params={
                        "title": tracked.get("title", ""),
                        "due_at": assignment["due_at"].isoformat(),
                    },
                )
                await self._notifier.notify(tracked["tenant_id"], [draft], now)
                changes = {f"assignment.{flag}": True}
                if category is Category.ASSIGNMENT_OVERDUE:
                    changes["assignment.due_soon_sent"] = True
                result = await self._tracked.update_one(
                    {"_id": tracked["_id"], f"assignment.{flag}": False}, {"$set": changes}
                )
                if category is Category.ASSIGNMENT_OVERDUE:
                    report.overdue += result.modified_count
                else:
                    report.due_soon += result.modified_count

    # -- managers' digest of stalled assigned work ----------------------------------------

    async def _stalled_work(self, now: datetime, report: TickReport) -> None:
        stalled = await self._tracked.find(
            {"stalled": True, "stalled_reported": False, "completed": False}, limit=_BATCH
        ).to_list()
        groups: dict[tuple[str, str], list[Document]] = defaultdict(list)
        for tracked in stalled:
            groups[(tracked["tenant_id"], tracked["assignment"]["assigned_by"])].append(tracked)
        for (tenant, manager), entries in groups.items():
            ids = sorted(e["_id"] for e in entries)
            key = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:24]
            items = "; ".join(f"{e['learner_id']}: {e.get('title', '')}" for e in entries)
            draft = NotificationDraft(
                recipient_id=manager,
                category=Category.STALLED_WORK,
                source_key=f"stalled:{key}",
                subject_id=manager,
                params={"count": str(len(entries)), "items": items},
            )
            await self._notifier.notify(tenant, [draft], now)
            await self._tracked.update_many(
                {"_id": {"$in": ids}}, {"$set": {"stalled_reported": True}}
            )
            report.stalled_digests += 1

    # -- email digests -----------------------------------------------------------------------

    async def _email_digests(self, now: datetime, report: TickReport) -> None:
        held = await self._deliveries.find(
            {"state": DeliveryState.HELD.value, "digest.send_at": {"$lte": now}},
            sort=[("created_at", 1)],
            limit=_BATCH * 4,
        ).to_list()
        groups: dict[tuple[str, str, str], list[Document]] = defaultdict(list)
        for delivery in held:
            groups[
                (delivery["tenant_id"], delivery["recipient_id"], delivery["digest"]["key"])
            ].append(delivery)
        for (tenant, person, key), entries in groups.items():
            profile = await self._people.profile(tenant, person)
            if not profile.email:
                continue
            url = self._notifier.unsubscribe_url(tenant, person, WILDCARD)
            rendered = self._renderer.digest(
                [Text(e["title"], e["body"]) for e in entries],
                profile.locale,
                url,
                mode=DigestMode(entries[0]["digest"]["mode"]),
                send_at=entries[0]["digest"]["send_at"],
                time_zone=profile.time_zone,
            )
            digest_id = (
                f"digest:{hashlib.sha256(f'{tenant}:{person}:{key}'.encode()).hexdigest()[:32]}"
            )
            # Already there when an earlier tick was interrupted: just finish marking.
            with contextlib.suppress(DuplicateKeyError):
                await TenantRepository(self._deliveries, tenant).insert_one(
                    {
                        "_id": digest_id,
                        "channel": "email",
                        "state": DeliveryState.PENDING.value,
                        "next_attempt_at": now,
                        "recipient_id": person,
                        "notification_id": digest_id,
                        "category": "digest",
                        "items": [e["_id"] for e in entries],
                        "attempts": 0,
                        "log": [],
                        "created_at": now,
                        "email": {
                            "to": profile.email,
                            "subject": rendered.subject,
                            "text": rendered.text,
                            "html": rendered.html,
                            "unsubscribe_url": url,
                        },
                    }
                )
            await self._deliveries.update_many(
                {"_id": {"$in": [e["_id"] for e in entries]}, "state": DeliveryState.HELD.value},
                {"$set": {"state": DeliveryState.DIGESTED.value, "digest_id": digest_id}},
            )
            report.email_digests += 1

    # -- microlearning nudges ----------------------------------------------------------------

    async def _nudges(self, now: datetime, report: TickReport) -> None:
        due = await self._people_collection.find(
            {"next_nudge_at": {"$lte": now}}, limit=_BATCH
        ).to_list()
        for person in due:
            tenant = person["tenant_id"]
            profile = profile_from_document(person["person_id"], person)
            slot = person["next_nudge_at"]
            item = await self._pick_short_item(tenant, person)
            if item is not None:
                draft = NotificationDraft(
                    recipient_id=profile.person_id,
                    category=Category.NUDGE,
                    source_key=f"nudge:{slot.isoformat()}",
                    subject_id=item["item_id"],
                    params={
                        "title": item.get("title", ""),
                        "minutes": str(item.get("estimated_minutes", 0)),
                    },
                )
                await self._notifier.notify(tenant, [draft], now)
                report.nudges += 1
            following = next_nudge_time(
                now,
                profile.nudge_cadence,
                profile.time_zone,
                profile.nudge_hour,
                profile.nudge_weekday,
            )
            await self._people_collection.update_one(
                {"_id": person["_id"], "next_nudge_at": slot},
                {"$set": {"next_nudge_at": following}},
            )

    async def _pick_short_item(self, tenant: str, person: Document) -> Document | None:
        """A short item from the person's paths, else one matching their skills.

        Items already completed are skipped; the shortest wins, then the id, so the
        choice is deterministic.
        """
        completed = set(person.get("completed", []))
        candidates: list[str] = []
        paths = await TenantRepository(self._paths, tenant).find(
            {"path_id": {"$in": list(person.get("paths", []))}}
        )
        for path in paths:
            candidates.extend(s["item_id"] for s in path.get("steps", []))
        items = TenantRepository(self._items, tenant)
        short = {"estimated_minutes": {"$lte": self._nudge_max_minutes}, "archived": False}
        found = [
            i
            for i in await items.find({**short, "item_id": {"$in": candidates}})
            if i["item_id"] not in completed
        ]
        if not found and person.get("skills"):
            found = [
                i
                for i in await items.find({**short, "skills": {"$in": list(person["skills"])}})
                if i["item_id"] not in completed
            ]
        found.sort(key=lambda i: (i.get("estimated_minutes", 0), i["item_id"]))
        return found[0] if found else None
