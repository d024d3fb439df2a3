"""Dropping events that would store data about an erased person.

Events published before an erasure may arrive after it (other topics, lag, retries),
and a later like or comment may name the person. Every id-like string of the event
(the actor and any payload value) is checked against the tenant's tombstones in one
``_id`` lookup; a match drops the event (handled, recorded, nothing stored). The
erasure event itself is exempt.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

import structlog

from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER
from agora_core.messaging.consumer import EventHandler
from agora_core.messaging.events import ReceivedEvent
from agora_core.privacy.tombstones import ErasedPersons

log = structlog.get_logger(__name__)

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


def skip_events_about_erased(
    handlers: Mapping[str, EventHandler],
    erased: ErasedPersons,
    *,
    exempt: Collection[str] = (),
    placeholder_too: bool = False,
) -> dict[str, EventHandler]:
    """``handlers`` wrapped so that an event naming an erased person is dropped.

    With ``placeholder_too``, an event naming ``[deleted user]`` (a like of content
    whose author was erased, an answer to their question) is dropped as well: for a
    service that keeps records per person (points, inboxes) it would otherwise start
    a record for the placeholder.
    """

    def guarded(event_type: str, handler: EventHandler) -> EventHandler:
        async def handle(event: ReceivedEvent[Any]) -> None:
            named = people_named(event)
            if placeholder_too and ERASED_PERSON_PLACEHOLDER in named:
                log.info("event dropped: it names an erased person", event_type=event_type)
                return
            if await erased.any_erased(event.tenant_id, named):
                log.info("event dropped: it names an erased person", event_type=event_type)
                return
            await handler(event)

        return handle

    return {
        event_type: handler if event_type in exempt else guarded(event_type, handler)
        for event_type, handler in handlers.items()
    }
