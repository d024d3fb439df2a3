"""One call that adds erasure to a service's consumer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agora_contracts.events.domains.privacy import ERASURES_TOPIC, PersonErasedV1
from agora_contracts.events.registry import REGISTRY
from agora_core.messaging.consumer import EventHandler
from agora_core.messaging.events import ReceivedEvent
from agora_core.privacy.guard import skip_events_about_erased
from agora_core.privacy.plan import PersonEraser, erasure_handler

PERSON_ERASED = REGISTRY.spec_for(PersonErasedV1).event_type


def with_erasure(
    topics: Sequence[str],
    handlers: Mapping[str, EventHandler],
    eraser: PersonEraser,
    *,
    per_person_records: bool = False,
) -> tuple[list[str], dict[str, EventHandler]]:
    """The consumer's topics and handlers with erasure added.

    Subscribes the erasures topic, handles ``person.erased`` with the service's eraser
    (before any handler the service already had for it, e.g. a webhook fan-out), and
    wraps every other handler so that events naming an erased person are dropped.
    ``per_person_records``: the service keeps records per person named in events
    (points, inboxes), so events naming the ``[deleted user]`` placeholder are dropped
    too (see :func:`skip_events_about_erased`).
    """
    guarded = skip_events_about_erased(
        {t: h for t, h in handlers.items() if t != PERSON_ERASED},
        eraser.tombstones,
        placeholder_too=per_person_records,
    )
    erase = erasure_handler(eraser)
    existing = handlers.get(PERSON_ERASED)
    if existing is None:
        guarded[PERSON_ERASED] = erase
    else:
        then = existing

        async def erase_then_existing(event: ReceivedEvent[Any]) -> None:
            await erase(event)
            await then(event)

        guarded[PERSON_ERASED] = erase_then_existing
    return sorted({*topics, ERASURES_TOPIC}), guarded
