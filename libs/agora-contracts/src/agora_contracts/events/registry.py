"""One registry: event type → topic → payload model.

Producers look up the topic of a type; consumers look up the model to validate a
payload; the schema snapshots and the AsyncAPI document are generated from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from agora_contracts.events.envelope import TYPE_PATTERN
from agora_contracts.events.payload import EventPayload

TOPIC_PATTERN = r"^agora\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.v[1-9][0-9]*$"


class UnknownEventType(KeyError):
    """No payload model is registered for this CloudEvents type."""


@dataclass(frozen=True)
class EventSpec:
    """What the platform knows of one event type."""

    event_type: str
    topic: str
    payload: type[EventPayload]
    key_description: str
    description: str

    @property
    def major_version(self) -> int:
        return int(self.event_type.rsplit(".v", 1)[1])


class EventRegistry:
    """A set of event specs with lookups by type and by topic."""

    def __init__(self) -> None:
        self._by_type: dict[str, EventSpec] = {}

    def register(self, spec: EventSpec) -> EventSpec:
        if not re.match(TYPE_PATTERN, spec.event_type):
            raise ValueError(
                f"event type {spec.event_type!r} must look like org.agora.<d>.<e>.<verb>.vN"
            )
        if not re.match(TOPIC_PATTERN, spec.topic):
            raise ValueError(f"topic {spec.topic!r} must look like agora.<domain>.<entity>.vN")
        if int(spec.topic.rsplit(".v", 1)[1]) != spec.major_version:
            raise ValueError(f"{spec.event_type}: the topic's major version must match the type's")
        if spec.event_type in self._by_type and self._by_type[spec.event_type] != spec:
            raise ValueError(f"event type {spec.event_type!r} is already registered differently")
        undocumented = [
            name
            for name, info in spec.payload.model_fields.items()
            if not info.description or not info.examples
        ]
        if undocumented:
            raise ValueError(
                f"{spec.event_type}: every payload field needs a description and an example: "
                + ", ".join(undocumented)
            )
        self._by_type[spec.event_type] = spec
        return spec

    def event(
        self, type_: str, *, topic: str, key: str, description: str
    ) -> Callable[[type[EventPayload]], type[EventPayload]]:
        """Class decorator registering a payload model under ``type_``."""

        def decorate(model: type[EventPayload]) -> type[EventPayload]:
            self.register(EventSpec(type_, topic, model, key, description))
            return model

        return decorate

    def spec(self, type_: str) -> EventSpec:
        try:
            return self._by_type[type_]
        except KeyError:
            raise UnknownEventType(type_) from None

    def spec_for(self, model: type[EventPayload]) -> EventSpec:
        """The spec a payload model was registered under (one model, one type)."""
        for spec in self._by_type.values():
            if spec.payload is model:
                return spec
        raise UnknownEventType(model.__name__)

    def knows(self, type_: str) -> bool:
        return type_ in self._by_type

    def topics(self) -> list[str]:
        return sorted({spec.topic for spec in self._by_type.values()})

    def on_topic(self, topic: str) -> list[EventSpec]:
        return [spec for spec in self if spec.topic == topic]

    def __iter__(self) -> Iterator[EventSpec]:
        return iter(sorted(self._by_type.values(), key=lambda s: s.event_type))

    def __len__(self) -> int:
        return len(self._by_type)


REGISTRY = EventRegistry()
"""The platform's registry; each contract module registers its events on import."""
