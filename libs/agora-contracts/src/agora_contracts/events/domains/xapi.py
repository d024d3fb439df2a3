"""xAPI statements: learning and community events projected for Learning Record Stores.

Published by the notifications service (``agora_contracts.xapi.mapping`` is the
projection); keyed by the actor (the learner), so one learner's statements stay in
order. The Kafka value is the xAPI 1.0.3 statement itself: an LRS bridge can POST it
to ``/statements`` unchanged.
"""

from __future__ import annotations

from pydantic import ConfigDict

from agora_contracts.events.payload import EventPayload
from agora_contracts.events.registry import REGISTRY
from agora_contracts.xapi.statement import Statement

STATEMENTS_TOPIC = "agora.xapi.statements.v1"


@REGISTRY.event(
    "org.agora.xapi.statement.projected.v1",
    topic=STATEMENTS_TOPIC,
    key="actor.account.name (the learner)",
    description=(
        "An xAPI 1.0.3 statement projected from a learning or community event; its id is "
        "derived from the source event id, so a redelivered event gives the same statement."
    ),
)
class StatementProjectedV1(Statement, EventPayload):
    # Unknown top-level properties are ignored (additive evolution, like every payload);
    # the wire names are the xAPI ones.
    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        serialize_by_alias=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    @classmethod
    def of(cls, statement: Statement) -> StatementProjectedV1:
        """The event payload carrying ``statement``."""
        return cls.model_validate(statement.model_dump(mode="json"))

    def statement(self) -> Statement:
        """The plain statement (strict model) this payload carries."""
        return Statement.model_validate(self.model_dump(mode="json"))
