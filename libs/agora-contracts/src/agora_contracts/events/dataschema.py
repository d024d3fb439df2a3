"""Where an event type's JSON Schema is published: the CloudEvents ``dataschema``.

Every event Agora publishes names the JSON Schema of its payload in ``ce_dataschema``:
``<base>/<event type>.json``. The schemas are generated from the payload models into
``docs/events/schemas/`` (``python -m agora_contracts.events.asyncapi --write``); a
deployment serves that folder somewhere its integrators can read and names the base
URL once, for every service, in ``AGORA_EVENTS_SCHEMA_BASE_URL``. The default base is
a placeholder under the reserved ``.example`` domain, like the other public URLs whose
host only a deployment knows: the URL still identifies the schema (type and major
version) and its path mirrors the published folder.
"""

from __future__ import annotations

from typing import Final

DEFAULT_SCHEMA_BASE_URL: Final = "https://agora.example/events/schemas"
SCHEMA_BASE_URL_VARIABLE: Final = "AGORA_EVENTS_SCHEMA_BASE_URL"
"""Environment variable read by the runtime (agora-core) to set the base URL."""


def dataschema_url(event_type: str, base_url: str = DEFAULT_SCHEMA_BASE_URL) -> str:
    """The URL of ``event_type``'s published JSON Schema under ``base_url``."""
    return f"{base_url.rstrip('/')}/{event_type}.json"


def schema_file_name(event_type: str) -> str:
    """The file name of ``event_type``'s schema in the published folder."""
    return f"{event_type}.json"
