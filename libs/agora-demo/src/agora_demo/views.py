"""What each person sees at the end of the story, as rich tables: the leaderboard,
everyone's profile, everyone's inbox, the manager's team, the expert directory."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.table import Table

from agora.catalog.v1 import catalog_pb2 as cat
from agora.community.v1 import community_pb2 as com
from agora.gamification.v1 import gamification_pb2 as gam
from agora.notifications.v1 import notifications_pb2 as notif
from agora_demo.cast import EMMA, EVERYONE, MARC, SOFIA, Person
from agora_demo.content import GDPR
from agora_demo.platform import Platform

_NAMES = {p.person_id: p.name for p in EVERYONE}
INBOX_LINES = 4


def _name(person_id: str) -> str:
    return _NAMES.get(person_id, person_id or "(hidden)")


async def leaderboard(p: Platform, viewer: Person) -> Table:
    reply = await p.gamification.GetLeaderboard(
        gam.GetLeaderboardRequest(
            scope=gam.BOARD_SCOPE_TENANT, period=gam.PERIOD_ALL_TIME, top_n=10, around_me=True
        ),
        metadata=p.as_(viewer),
    )
    table = Table(
        title=f"Leaderboard (all time) as {viewer.name} sees it", title_style="bold", min_width=60
    )
    for column in ("rank", "person", "points"):
        table.add_column(column, justify="right" if column != "person" else "left")
    for entry in reply.top:
        mark = "  ← you" if entry.is_me else ""
        table.add_row(str(entry.rank), _name(entry.learner_id) + mark, str(entry.points))
    return table


async def profiles(p: Platform) -> Table:
    replies = await asyncio.gather(
        *(
            p.gamification.GetProfile(
                gam.GetProfileRequest(learner_id=person.person_id), metadata=p.as_(person)
            )
            for person in EVERYONE
        )
    )
    table = Table(title="Profiles (each person's own view)", title_style="bold")
    for column in ("person", "roles", "points", "level", "to next", "streak", "badges"):
        table.add_column(column)
    for person, reply in zip(EVERYONE, replies, strict=True):
        profile = reply.profile
        table.add_row(
            person.name,
            ", ".join(person.roles),
            str(profile.points),
            f"{profile.level.level} {profile.level.name}",
            str(profile.points_to_next_level),
            f"{profile.streak.current_days} day(s)",
            ", ".join(b.badge_name for b in profile.badges if not b.revoked) or "-",
        )
    return table


async def inboxes(p: Platform) -> Table:
    async def one(person: Person) -> tuple[int, list[notif.Notification]]:
        unread = await p.notifications.GetUnreadCount(
            notif.GetUnreadCountRequest(), metadata=p.as_(person)
        )
        page = await p.notifications.ListInbox(
            notif.ListInboxRequest(page_size=INBOX_LINES), metadata=p.as_(person)
        )
        return unread.unread, list(page.notifications)

    results = await asyncio.gather(*(one(person) for person in EVERYONE))
    table = Table(
        title=f"Inboxes (newest {INBOX_LINES}, in each person's language)", title_style="bold"
    )
    for column in ("person", "unread", "category", "title"):
        table.add_column(column)
    for person, (unread, entries) in zip(EVERYONE, results, strict=True):
        if not entries:
            table.add_row(person.name, str(unread), "-", "-", end_section=True)
            continue
        for index, entry in enumerate(entries):
            table.add_row(
                person.name if index == 0 else "",
                str(unread) if index == 0 else "",
                entry.category,
                entry.title,
                end_section=index == len(entries) - 1,
            )
    return table


async def team(p: Platform) -> Table:
    reply = await p.catalog.ListTeamAssignments(
        cat.ListTeamAssignmentsRequest(page_size=50), metadata=p.as_(MARC)
    )
    table = Table(title=f"{MARC.name}'s team assignments", title_style="bold")
    for column in ("learner", "target", "state", "percent", "due", "overdue"):
        table.add_column(column)
    for a in reply.assignments:
        table.add_row(
            _name(a.learner_id),
            a.target_title,
            cat.AssignmentState.Name(a.state).removeprefix("ASSIGNMENT_STATE_").lower(),
            f"{a.percent} %",
            a.due_at.ToDatetime().date().isoformat(),
            "yes" if a.overdue else "no",
        )
    return table


async def experts(p: Platform) -> Table:
    reply = await p.community.FindExperts(
        com.FindExpertsRequest(skill_id=GDPR, page_size=10), metadata=p.as_(SOFIA)
    )
    table = Table(title="Who knows the GDPR (community expert directory)", title_style="bold")
    for column in (
        "person",
        "score",
        "validated",
        "accepted answers",
        "quiz passes",
        "completions",
    ):
        table.add_column(column)
    for e in reply.experts:
        table.add_row(
            _name(e.user_id),
            f"{e.score:g}",
            str(e.validated_contributions),
            str(e.accepted_answers),
            str(e.quiz_passes),
            str(e.completions),
        )
    return table


async def show_everything(p: Platform, console: Console) -> None:
    """Print every view (each read over gRPC as the person concerned)."""
    console.print()
    console.rule("[bold]What each person sees", align="left")
    for view in (leaderboard(p, EMMA), profiles(p), inboxes(p), team(p), experts(p)):
        console.print(await view)
