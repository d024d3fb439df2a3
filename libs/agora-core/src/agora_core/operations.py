"""Operators' use cases every service process offers: dead-letter replay and rewind.

The runtime builds one :class:`Operations` over its own broker connection and
consumers; ``agora_core.grpc.operations_servicer`` serves it as
``agora.admin.v1.OperationsService`` on every service's gRPC port.

Who may do what. Both RPCs need the ``admin`` role (the method policy). An Agora
admin administers one tenant, while the broker and the consumer groups serve every
tenant, so the operations are tenant-agnostic only for the admins of the
*operator tenant* (``operator_tenant`` setting, unset by default: nobody):
- a tenant's admin may replay that tenant's dead letters only (the tenant filter is
  forced to theirs; naming another tenant is PERMISSION_DENIED);
- an operator may replay any tenant's, or all of them;
- a rewind re-reads every tenant's events, so it is for operators only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from agora_contracts.events import EventRegistry
from agora_core.errors import FailedPrecondition, FieldViolation, InvalidArgument, PermissionDenied
from agora_core.grpc.auth import Principal
from agora_core.long_running.replays import ReplayOperations
from agora_core.long_running.runner import OperationRunner
from agora_core.messaging.dead_letters import DLQ_SUFFIX, dlq_topic
from agora_core.messaging.group_member import GroupMember
from agora_core.messaging.publisher import EventPublisher
from agora_core.messaging.replay import (
    DEFAULT_MAX_RECORDS,
    MAX_RECORDS_LIMIT,
    DeadLetterFilter,
    DeadLetterReplay,
    ProgressListener,
    replay_dead_letters,
    replayer_group,
)
from agora_core.messaging.rewind import ConsumerRewind, rewind_consumer

MAX_EVENT_TYPES = 50
MAX_NAME_LENGTH = 255
# Producers' clocks may run a little ahead of ours.
_CLOCK_SKEW = timedelta(minutes=1)


@dataclass(frozen=True)
class ReplayRequest:
    """A dead-letter replay as asked (validated by :meth:`Operations.replay_dead_letters`)."""

    topic: str
    event_types: tuple[str, ...] = ()
    tenant_id: str | None = None
    failed_group: str | None = None
    after: datetime | None = None
    before: datetime | None = None
    max_records: int = 0
    """0: :data:`DEFAULT_MAX_RECORDS`."""
    dry_run: bool = False


@dataclass(frozen=True)
class PlannedReplay:
    """A validated, tenant-scoped replay, ready to run."""

    topic: str
    criteria: DeadLetterFilter
    max_records: int
    dry_run: bool

    @property
    def dead_letter_topic(self) -> str:
        return dlq_topic(self.topic)

    @property
    def replayer_group(self) -> str:
        return replayer_group(self.topic, self.criteria)


class Operations:
    """Replay and rewind for one service process."""

    def __init__(
        self,
        *,
        service: str,
        bootstrap_servers: str,
        kafka_options: Mapping[str, Any] | None = None,
        registry: EventRegistry,
        publisher: EventPublisher,
        consumers: Sequence[GroupMember],
        operator_tenant: str | None,
        runner: OperationRunner | None = None,
    ) -> None:
        self.service = service
        self._bootstrap = bootstrap_servers
        # Security of the operators' plain aiokafka clients (the broker's own settings).
        self._kafka_options = dict(kafka_options or {})
        self._registry = registry
        self._publisher = publisher
        self._consumers = consumers
        self._operator_tenant = operator_tenant
        # One operation at a time per process: two replays of one filter running
        # together would both start from the same committed position.
        self._lock = asyncio.Lock()
        self.replays = None if runner is None else ReplayOperations(self, runner)
        """The replay as a long-running operation (needs the service's database)."""

    def is_operator(self, caller: Principal) -> bool:
        return self._operator_tenant is not None and caller.tenant_id == self._operator_tenant

    async def replay_dead_letters(
        self, caller: Principal, request: ReplayRequest
    ) -> DeadLetterReplay:
        """Validate, scope to the caller's tenant unless an operator, then replay."""
        return await self.run_replay(self.plan_replay(caller, request))

    def plan_replay(self, caller: Principal, request: ReplayRequest) -> PlannedReplay:
        """The validated replay, its tenant filter forced to the caller's unless an
        operator's (INVALID_ARGUMENT with every bad field, or PERMISSION_DENIED)."""
        violations = self._topic_violations("topic", request.topic)
        unknown = [t for t in request.event_types if t not in self._types_on(request.topic)]
        if unknown and not violations:
            violations.append(
                FieldViolation("event_types", f"not event types of {request.topic}: {unknown}")
            )
        if request.after and request.before and request.after >= request.before:
            violations.append(
                FieldViolation("dead_lettered_before", "must be later than dead_lettered_after")
            )
        if len(request.event_types) > MAX_EVENT_TYPES:
            violations.append(FieldViolation("event_types", f"at most {MAX_EVENT_TYPES}"))
        for name, value in (
            ("tenant_id", request.tenant_id),
            ("failed_group", request.failed_group),
        ):
            if value is not None and len(value) > MAX_NAME_LENGTH:
                violations.append(FieldViolation(name, f"at most {MAX_NAME_LENGTH} characters"))
        if not 0 <= request.max_records <= MAX_RECORDS_LIMIT:
            violations.append(
                FieldViolation("max_records", f"must be within 0..{MAX_RECORDS_LIMIT}")
            )
        if violations:
            raise InvalidArgument(violations)
        tenant = request.tenant_id
        if not self.is_operator(caller):
            if tenant is not None and tenant != caller.tenant_id:
                raise PermissionDenied("an admin may replay only their own tenant's dead letters")
            tenant = caller.tenant_id
        criteria = DeadLetterFilter(
            event_types=frozenset(request.event_types),
            tenant_id=tenant,
            failed_group=request.failed_group,
            after=request.after,
            before=request.before,
        )
        return PlannedReplay(
            topic=request.topic,
            criteria=criteria,
            max_records=request.max_records or DEFAULT_MAX_RECORDS,
            dry_run=request.dry_run,
        )

    async def run_replay(
        self, plan: PlannedReplay, on_progress: ProgressListener | None = None
    ) -> DeadLetterReplay:
        """Run a planned replay (one operation at a time in this process)."""
        async with self._lock:
            return await replay_dead_letters(
                self._bootstrap,
                self._publisher,
                plan.topic,
                dead_letter_filter=plan.criteria,
                max_records=plan.max_records,
                dry_run=plan.dry_run,
                kafka_options=self._kafka_options,
                on_progress=on_progress,
            )

    async def rewind_consumer(
        self, caller: Principal, topic: str, at: datetime | None
    ) -> ConsumerRewind:
        """Move this replica's consumer group member on ``topic`` to ``at`` (operators)."""
        if not self.is_operator(caller):
            hint = (
                ""
                if self._operator_tenant
                else " (none is set here: AGORA_"
                f"{self.service.upper().replace('-', '_')}_OPERATOR_TENANT)"
            )
            raise PermissionDenied(
                "rewinding a consumer group re-reads every tenant's events: "
                f"only admins of the operator tenant may{hint}"
            )
        violations = self._topic_violations("topic", topic)
        consumed = {t for consumer in self._consumers for t in consumer.topics}
        if not violations and topic not in consumed:
            violations.append(FieldViolation("topic", f"{self.service} does not consume {topic}"))
        if at is None:
            violations.append(FieldViolation("at", "required"))
        elif at > datetime.now(UTC) + _CLOCK_SKEW:
            violations.append(FieldViolation("at", "must not be in the future"))
        if violations:
            raise InvalidArgument(violations)
        assert at is not None
        async with self._lock:
            try:
                return await rewind_consumer(self._consumers, topic, at)
            except ValueError as error:
                raise FailedPrecondition(str(error)) from None

    def _topic_violations(self, field: str, topic: str) -> list[FieldViolation]:
        if not topic:
            return [FieldViolation(field, "required")]
        if topic.endswith(DLQ_SUFFIX):
            return [FieldViolation(field, f"name the source topic, not its {DLQ_SUFFIX}")]
        if topic not in self._registry.topics():
            return [FieldViolation(field, f"not an Agora topic: {topic[:200]}")]
        return []

    def _types_on(self, topic: str) -> set[str]:
        return {spec.event_type for spec in self._registry.on_topic(topic)}
