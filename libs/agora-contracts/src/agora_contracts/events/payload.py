"""The base of every event payload model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class EventPayload(BaseModel):
    """A frozen, self-describing fact.

    Unknown fields are ignored when reading, so a consumer built against an older
    minor contract keeps working when producers add optional fields.
    Every field must carry a description and an example (checked by the registry).
    """

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)
