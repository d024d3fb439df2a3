"""Waiting for the asynchronous consequences of the story: a notification in an inbox,
points credited for an event, a badge awarded. Each polls the service that owns the
outcome until a deadline, and a missing outcome fails naming what it waited for."""

from __future__ import annotations

from agora.gamification.v1 import gamification_pb2 as gam
from agora.notifications.v1 import notifications_pb2 as notif
from agora_demo.cast import Person
from agora_demo.narration import Narrator
from agora_demo.platform import Platform
from agora_demo.waiting import wait_until
from agora_demo.world import BADGE_ID, Timeouts


def _describe_inbox(reply: notif.ListInboxResponse) -> str:
    seen = [f"{n.category}:{n.subject_id}" for n in reply.notifications[:8]]
    return f"{len(reply.notifications)} notifications {seen}"


class Outcomes:
    def __init__(self, platform: Platform, narrator: Narrator, timeouts: Timeouts) -> None:
        self.p = platform
        self.n = narrator
        self.t = timeouts

    async def inbox_has(self, person: Person, category: str, subject_id: str) -> notif.Notification:
        """Wait until ``person``'s inbox shows a ``category`` notification about ``subject_id``."""

        async def read() -> notif.ListInboxResponse:
            return await self.p.notifications.ListInbox(
                notif.ListInboxRequest(page_size=100), metadata=self.p.as_(person)
            )

        def match(reply: notif.ListInboxResponse) -> notif.Notification | None:
            for entry in reply.notifications:
                if entry.category == category and (
                    not subject_id or entry.subject_id == subject_id
                ):
                    return entry
            return None

        reply = await wait_until(
            f"{person.name}'s inbox to show a {category} notification"
            + (f" about {subject_id}" if subject_id else ""),
            read,
            lambda r: match(r) is not None,
            timeout=self.t.reminder if category == "relaunch_reminder" else self.t.outcome,
            describe=_describe_inbox,
        )
        found = match(reply)
        assert found is not None
        self.n.saw(f"{person.name}'s inbox: “{found.title}” ({category})")
        return found

    async def credited(self, person: Person, event_type: str, why: str) -> gam.Profile:
        """Wait until ``person``'s point ledger holds a credit for an event of ``event_type``."""

        async def read() -> gam.ListLedgerEntriesResponse:
            return await self.p.gamification.ListLedgerEntries(
                gam.ListLedgerEntriesRequest(learner_id=person.person_id, page_size=100),
                metadata=self.p.as_(person),
            )

        reply = await wait_until(
            f"{person.name}'s ledger to credit points for {event_type} ({why})",
            read,
            lambda r: any(e.source_event_type == event_type for e in r.entries),
            timeout=self.t.outcome,
            describe=lambda r: str([(e.rule_id, e.points) for e in r.entries[:10]]),
        )
        entry = next(e for e in reply.entries if e.source_event_type == event_type)
        profile = (
            await self.p.gamification.GetProfile(
                gam.GetProfileRequest(learner_id=person.person_id), metadata=self.p.as_(person)
            )
        ).profile
        self.n.saw(
            f"{person.name}: +{entry.points} points (rule {entry.rule_id}, {why}); "
            f"{profile.points} in all, level {profile.level.name}"
        )
        return profile

    async def badge_awarded(self, person: Person) -> gam.Award:
        async def read() -> gam.GetProfileResponse:
            return await self.p.gamification.GetProfile(
                gam.GetProfileRequest(learner_id=person.person_id), metadata=self.p.as_(person)
            )

        reply = await wait_until(
            f"{person.name} to be awarded the badge {BADGE_ID}",
            read,
            lambda r: any(b.badge_id == BADGE_ID for b in r.profile.badges),
            timeout=self.t.outcome,
            describe=lambda r: f"badges {[b.badge_id for b in r.profile.badges]}",
        )
        award = next(b for b in reply.profile.badges if b.badge_id == BADGE_ID)
        self.n.saw(f"{person.name} earned the badge “{award.badge_name}”")
        return award
