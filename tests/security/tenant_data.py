"""Data of one tenant, written through the real gRPC APIs of the four services.

Every user-written text goes through ``text(label)``: the isolation tests write a
marker they later look for in another tenant's answers, the XSS tests write payloads.
Ids of what was created are gathered from the responses by field name
(``item_id``, ``space_id`` …) so requests of any method can be filled with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import grpc.aio
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from agora.catalog.v1 import catalog_pb2 as cat
from agora.community.v1 import community_pb2 as com
from agora.gamification.v1 import gamification_pb2 as gam
from agora.notifications.v1 import notifications_pb2 as notif
from agora_core.testing import eventually

from .platform_stack import Platform
from .rpc_methods import RpcMethod, all_methods, is_map

COMPLETED = "org.agora.learning.knowledge.completed.v1"
OWNER, REVIEWER, LEARNER = "sec-owner", "sec-reviewer", "sec-learner"
TextSource = Callable[[str], str]


def timestamp(delta: dt.timedelta) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(dt.datetime.now(dt.UTC) + delta)
    return stamp


def method(service: str, name: str) -> RpcMethod:
    """The method ``name`` of the platform service ``agora.<service>.v1.*``."""
    prefix = f"agora.{service}.v1."
    return next(m for m in all_methods() if m.service.startswith(prefix) and m.name == name)


@dataclass
class TenantData:
    """What was written in one tenant: ids by field name, and every response seen."""

    tenant: str
    people: tuple[str, ...] = (OWNER, REVIEWER, LEARNER)
    ids: dict[str, str] = field(default_factory=dict)
    responses: list[tuple[str, Message]] = field(default_factory=list)

    def gather(self, label: str, response: Message) -> None:
        """Remember the response and every ``*_id`` string in it (first one wins)."""
        self.responses.append((label, response))
        for name, value in _id_fields(response):
            self.ids.setdefault(name, value)


def _id_fields(message: Message) -> Iterator[tuple[str, str]]:
    for descriptor, value in message.ListFields():
        if descriptor.type == FieldDescriptor.TYPE_MESSAGE:
            if is_map(descriptor):
                continue
            values = value if descriptor.is_repeated else [value]
            for nested in values:
                yield from _id_fields(nested)
        elif (
            descriptor.type == FieldDescriptor.TYPE_STRING
            and descriptor.name.endswith("_id")
            and not descriptor.is_repeated
            and value
        ):
            yield descriptor.name, value


class Writer:
    """Calls methods as a person of the tenant (all roles) and gathers the answers."""

    def __init__(self, platform: Platform, data: TenantData) -> None:
        self._platform = platform
        self._data = data

    async def __call__(
        self, service: str, method_name: str, /, *, who: str = OWNER, **fields: Any
    ) -> Any:
        rpc = method(service, method_name)
        channel = self._platform.services[service].channel
        metadata = self._platform.caller(self._data.tenant, subject=who)
        response = await rpc.call(channel, rpc.request(**fields), metadata)
        self._data.gather(f"{service}.{method_name}", response)
        return response


async def write_tenant_data(platform: Platform, tenant: str, text: TextSource) -> TenantData:
    """One of everything people write, in each service, with ``text`` as content."""
    data = TenantData(tenant)
    call = Writer(platform, data)
    # Profiles first: the assignment written next is then mailed to the learner.
    await write_notifications(call, platform, data, text)
    await write_catalog(call, text)
    await write_community(call, data, text)
    await write_gamification(call, text)
    return data


async def write_catalog(call: Writer, text: TextSource) -> None:
    await call("catalog", "UpsertTheme", theme_id="th-1", name=text("theme.name"))
    await call(
        "catalog",
        "UpsertSkill",
        skill_id="sk-1",
        name=text("skill.name"),
        expert_ids=[REVIEWER],
    )
    draft = cat.ItemDraft(
        title=text("item.title"),
        summary=text("item.summary"),
        language="en",
        estimated_minutes=10,
        theme_ids=["th-1"],
        skills=[cat.SkillLevel(skill_id="sk-1", level=2)],
        wiki=cat.WikiContent(markdown=text("item.body")),
    )
    item = (await call("catalog", "CreateItem", item=draft)).item
    await call("catalog", "SubmitItem", item_id=item.item_id)
    await call("catalog", "ClaimReview", item_id=item.item_id, who=REVIEWER)
    await call(
        "catalog",
        "ReviewItem",
        item_id=item.item_id,
        decision=cat.REVIEW_DECISION_APPROVED,
        comment=text("review.comment"),
        who=REVIEWER,
    )
    path = (
        await call(
            "catalog",
            "CreatePath",
            title=text("path.title"),
            description=text("path.description"),
            objectives=[text("path.objective")],
            steps=[cat.PathStep(item_id=item.item_id, mandatory=True)],
        )
    ).path
    await call("catalog", "PublishPath", path_id=path.path_id)
    await call(
        "catalog",
        "CreateAssignments",
        learner_ids=[LEARNER],
        target_kind=cat.TARGET_KIND_KNOWLEDGE,
        target_id=item.item_id,
        due_at=timestamp(dt.timedelta(days=7)),
    )
    await call("catalog", "StartItem", item_id=item.item_id, who=LEARNER)
    await call("catalog", "EnrolInPath", path_id=path.path_id, who=LEARNER)


async def write_community(call: Writer, data: TenantData, text: TextSource) -> None:
    item_id = data.ids["item_id"]
    knowledge = com.Target(type=com.TARGET_TYPE_KNOWLEDGE, id=item_id)
    await call(
        "community",
        "CreateSpace",
        name=text("space.name"),
        description=text("space.description"),
        visibility=com.SPACE_VISIBILITY_OPEN,
    )
    # The community learns of the published item from the catalog's event: wait for it.
    await eventually(lambda: _known_to_community(call, knowledge), timeout=60)
    comment = (
        await call("community", "PostComment", target=knowledge, body=text("comment.body"))
    ).comment
    await call(
        "community",
        "PostComment",
        target=knowledge,
        parent_comment_id=comment.comment_id,
        body=text("reply.body"),
        who=LEARNER,
    )
    for person in (LEARNER, REVIEWER):
        await call("community", "JoinSpace", space_id=data.ids["space_id"], who=person)
    question = (
        await call(
            "community",
            "AskQuestion",
            title=text("question.title"),
            body=text("question.body"),
            skill_ids=["sk-1"],
            space_id=data.ids["space_id"],
            who=LEARNER,
        )
    ).question
    await call(
        "community",
        "PostAnswer",
        question_id=question.question_id,
        body=text("answer.body"),
        who=REVIEWER,
    )
    await call("community", "Like", target=knowledge, who=LEARNER)
    await call(
        "community",
        "ReportContent",
        content=com.Target(type=com.TARGET_TYPE_COMMENT, id=comment.comment_id),
        reason=com.REPORT_REASON_SPAM,
        details=text("report.details"),
        who=LEARNER,
    )


async def _known_to_community(call: Writer, knowledge: com.Target) -> bool:
    try:
        await call("community", "ListComments", target=knowledge)
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return False
        raise
    return True


async def write_gamification(call: Writer, text: TextSource) -> None:
    await call(
        "gamification",
        "PutRule",
        rule=gam.Rule(
            rule_id="r-1",
            event_type=COMPLETED,
            points=5,
            enabled=True,
            description=text("rule.description"),
        ),
    )
    await call(
        "gamification",
        "PutBadge",
        badge=gam.Badge(
            badge_id="b-1",
            name=text("badge.name"),
            description=text("badge.description"),
            image_url="https://img.example/badge.png",
            criteria_narrative=text("badge.criteria"),
            groups=[
                gam.RequirementGroup(requirements=[gam.Requirement(event_type=COMPLETED, count=2)])
            ],
        ),
    )
    await call(
        "gamification",
        "CreateChallenge",
        challenge=gam.Challenge(
            title=text("challenge.title"),
            scope=gam.CHALLENGE_SCOPE_PERSON,
            event_type=COMPLETED,
            target=3,
            starts_at=timestamp(-dt.timedelta(hours=1)),
            ends_at=timestamp(dt.timedelta(days=7)),
        ),
    )
    await call(
        "gamification", "PutTeam", team_id="team-1", name=text("team.name"), member_ids=[OWNER]
    )


def learner_email(tenant: str) -> str:
    return f"learner@{tenant}.example"


async def write_notifications(
    call: Writer, platform: Platform, data: TenantData, text: TextSource
) -> None:
    await call(
        "notifications",
        "UpsertProfiles",
        profiles=[
            notif.Profile(
                person_id=LEARNER,
                email=learner_email(data.tenant),
                locale="en",
                time_zone="Europe/Paris",
            )
        ],
    )
    created = await call(
        "notifications",
        "CreateWebhookSubscription",
        url=platform.receiver.url("tenant-hook"),
        description=text("webhook.description"),
    )
    platform.learned_secrets.add(created.secret)
