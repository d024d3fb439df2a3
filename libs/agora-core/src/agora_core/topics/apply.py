"""Making the cluster match the plan: create, raise partitions, align configs.

Idempotent: it acts only on the plan's differences, and after acting it reads the
cluster again until the metadata shows every change (a second run right after
plans nothing). Another apply running at the same time is harmless: "already exists"
and "already has that many partitions" count as done when the re-read agrees.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError

from agora_core.settings import KafkaSettings
from agora_core.topics.cluster import admin_client, read_topics, start_admin
from agora_core.topics.desired import TopicSpec
from agora_core.topics.drift import Change, ChangeKind, TopicPlan, plan_topics

Progress = Callable[[str], None]

TOPIC_ALREADY_EXISTS = 36
INVALID_PARTITIONS = 37
SETTLE_SECONDS = 30.0
"""How long apply waits for the brokers' metadata to show what it changed."""


class ApplyFailed(Exception):
    """Some changes could not be made; the message names each topic and the reason."""


def _quiet(_line: str) -> None:
    return None


async def apply_plan(
    admin: AIOKafkaAdminClient, plan: TopicPlan, *, progress: Progress = _quiet
) -> TopicPlan:
    """Make the plan's applicable changes, wait until they show, return the new plan.

    Raises :class:`ApplyFailed` naming every change the brokers refused.
    """
    failures: list[str] = []
    creates = [c for c in plan.to_apply if c.kind is ChangeKind.CREATE]
    if creates:
        failures += await _create(admin, creates, progress)
    for change in plan.to_apply:
        if change.kind is ChangeKind.RAISE_PARTITIONS:
            failures += await _raise_partitions(admin, change, progress)
        elif change.kind is ChangeKind.ALTER_CONFIGS:
            failures += await _alter_configs(admin, change, progress)
    for change in plan.changes:
        if not change.kind.applied:
            progress(f"kept {change.spec.name}: {change.current}, configured {change.desired}")
    if failures:
        raise ApplyFailed("; ".join(failures))
    return await _settled(admin, plan)


async def _create(
    admin: AIOKafkaAdminClient, creates: Sequence[Change], progress: Progress
) -> list[str]:
    new_topics = [
        NewTopic(
            c.spec.name,
            num_partitions=c.spec.partitions,
            replication_factor=c.spec.replication_factor,
            topic_configs=dict(c.configs),
        )
        for c in creates
    ]
    response = await admin.create_topics(new_topics)
    failures = []
    for error in response.to_object()["topic_errors"]:
        name, code = error["topic"], error["error_code"]
        if code == 0:
            progress(f"created {name}")
        elif code == TOPIC_ALREADY_EXISTS:
            progress(f"{name} was created meanwhile (another apply?)")
        else:
            failures.append(f"create {name}: {error['error_message'] or f'error code {code}'}")
    return failures


async def _raise_partitions(
    admin: AIOKafkaAdminClient, change: Change, progress: Progress
) -> list[str]:
    name = change.spec.name
    try:
        await admin.create_partitions({name: NewPartitions(change.spec.partitions)})
    except KafkaError as error:
        if getattr(error, "errno", None) == INVALID_PARTITIONS:
            progress(f"{name}: partitions changed meanwhile ({error}); checking again")
            return []
        return [f"raise partitions of {name}: {error}"]
    progress(f"raised {name}: {change.current} -> {change.desired} (keys move to new partitions)")
    return []


async def _alter_configs(
    admin: AIOKafkaAdminClient, change: Change, progress: Progress
) -> list[str]:
    name = change.spec.name
    resource = ConfigResource(ConfigResourceType.TOPIC, name, configs=dict(change.configs))
    try:
        responses = await admin.alter_configs([resource])
    except KafkaError as error:
        return [f"alter configs of {name}: {error}"]
    for response in responses:
        for result in response.to_object()["resources"]:
            if result["error_code"]:
                message = result["error_message"] or f"error code {result['error_code']}"
                return [f"alter configs of {name}: {message}"]
    progress(f"altered {name}: {change.current} -> {change.desired}")
    return []


async def _settled(admin: AIOKafkaAdminClient, applied: TopicPlan) -> TopicPlan:
    """The plan again, once none of the changes just made shows as still to make."""
    # Metadata reaches every broker shortly after the controller accepted a change.
    made = {(c.spec.name, c.kind) for c in applied.to_apply}
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        names = [spec.name for spec in applied.desired]
        plan = plan_topics(applied.desired, await read_topics(admin, names))
        pending = [c for c in plan.to_apply if (c.spec.name, c.kind) in made]
        if not pending:
            return plan
        if time.monotonic() >= deadline:
            listed = ", ".join(f"{c.spec.name} ({c.kind.value})" for c in pending)
            raise ApplyFailed(
                f"changes accepted but not visible after {SETTLE_SECONDS:.0f} s: {listed}"
            )
        await asyncio.sleep(0.2)


async def provision(
    kafka: KafkaSettings,
    desired: Sequence[TopicSpec],
    *,
    wait_seconds: float = 60.0,
    create_only: bool = False,
    progress: Progress = _quiet,
) -> TopicPlan:
    """Connect, plan and apply ``desired``; returns the plan after applying.

    With ``create_only`` only missing topics are created and existing ones are left
    as they are (what tests do for their own topics: a shared topic's shape belongs
    to the operator's apply).
    """
    admin = admin_client(kafka)
    try:
        await start_admin(admin, wait_seconds)
        plan = plan_topics(desired, await read_topics(admin, [s.name for s in desired]))
        if create_only:
            creates = [c for c in plan.changes if c.kind is ChangeKind.CREATE]
            plan = TopicPlan(plan.desired, creates)
        return await apply_plan(admin, plan, progress=progress)
    finally:
        await admin.close()
