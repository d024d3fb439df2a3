"""Which persons an event names, so events about an erased person can be dropped.

Events published before an erasure may arrive after it (other topics, lag, retries),
and a later like or comment may name the person. Every id-like string of the event
(the actor and any payload value, :func:`people_named`) is checked against the
tenant's tombstones in one lookup by the guard that
:func:`agora_core.privacy.postgres.with_erasure_batch` puts around every handler; a
match drops the event (handled, recorded, nothing stored). The erasure event itself
(:data:`PERSON_ERASED`) is exempt.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER, PersonErasedV1
from agora_contracts.events.registry import REGISTRY
from agora_core.messaging.events import ReceivedEvent

PERSON_ERASED = REGISTRY.spec_for(PersonErasedV1).event_type
"""The erasure event's type: exempt from the guard (it names the erased person)."""

_MAX_ID_LENGTH = 128


def _id_like(value: Any) -> Iterator[str]:
    """Strings that could be a person id (1 to 128 characters without whitespace), and
    the erased-person placeholder."""
    if isinstance(value, str):
        if value == ERASED_PERSON_PLACEHOLDER or (
            0 < len(value) <= _MAX_ID_LENGTH and not any(c.isspace() for c in value)
        ):
            yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _id_like(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _id_like(item)


def people_named(event: ReceivedEvent[Any]) -> set[str]:
    """The actor and every id-like payload value of ``event``."""
    named = set(_id_like(event.payload.model_dump(mode="json")))
    if event.envelope.actorid:
        named.add(event.envelope.actorid)
    return named
