"""Privacy events: the right to erasure (GDPR art. 17) across every service.

An admin erases a person in one tenant; ``person.erased`` tells every service to delete
or anonymise what it holds about that person in that tenant. Keyed by the person id,
so two erasure requests for one person stay in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import Field

from agora_contracts.events.common import EntityId
from agora_contracts.events.payload import EventPayload
from agora_contracts.events.registry import REGISTRY

ERASURES_TOPIC: Final = "agora.privacy.erasures.v1"

ERASED_PERSON_PLACEHOLDER: Final = "[deleted user]"
"""What every service shows instead of an erased author, member or actor id.

It contains a space and brackets, so it can never be a real person id (ids are 1 to 128
characters without whitespace) and no call can act as it.
"""

ErasureReason = Literal[
    "data_subject_request",
    "account_closed",
    "retention_expired",
    "legal_obligation",
]
"""Why the person was erased (recorded for the audit trail; not free text on purpose)."""


@REGISTRY.event(
    "org.agora.privacy.person.erased.v1",
    topic=ERASURES_TOPIC,
    key="person_id",
    description=(
        "A tenant admin erased a person: every service deletes or anonymises the personal"
        " data it holds about that person in the event's tenant (tenantid), and drops later"
        " events about them."
    ),
)
class PersonErasedV1(EventPayload):
    erasure_id: EntityId = Field(
        description="The erasure record (stable: erasing a person again names the same one).",
        examples=["5d1f0a6e2c8b4f0f9a1e3b7c2d4e6f80"],
    )
    person_id: EntityId = Field(
        description="The erased person: the JWT ``sub`` they used, within the event's tenant.",
        examples=["u-ada"],
    )
    requested_by: EntityId = Field(
        description="The admin who asked for the erasure.", examples=["u-admin"]
    )
    reason: ErasureReason = Field(
        description="Why the person was erased.", examples=["data_subject_request"]
    )
    requested_at: datetime = Field(
        description="When the erasure was requested.", examples=["2026-11-23T10:00:00Z"]
    )
