"""Right to erasure, shared by every service (see docs/privacy.md).

- :mod:`.tombstones`: which persons were erased in a tenant (as digests), and the
  pseudonym an erasure in progress uses;
- :mod:`.scrub`: finding a person id in stored documents and replacing it;
- :mod:`.plan`: a service's declared list of what it deletes and what it anonymises,
  and the eraser that applies it idempotently;
- :mod:`.guard`: dropping later events that would store data about an erased person;
- :mod:`.callers`: refusing gRPC calls made with an erased person's token.
"""

from agora_core.privacy.callers import ErasedCallerVerifier
from agora_core.privacy.guard import skip_events_about_erased
from agora_core.privacy.plan import (
    Anonymise,
    Delete,
    DeleteKeyed,
    ErasurePlan,
    ErasureReport,
    PersonEraser,
    erasure_handler,
)
from agora_core.privacy.scrub import mentions_person, scrubbed
from agora_core.privacy.tombstones import ERASED_PERSONS, ErasedPersons, person_digest
from agora_core.privacy.wiring import PERSON_ERASED, with_erasure

__all__ = [
    "ERASED_PERSONS",
    "PERSON_ERASED",
    "Anonymise",
    "Delete",
    "DeleteKeyed",
    "ErasedCallerVerifier",
    "ErasedPersons",
    "ErasurePlan",
    "ErasureReport",
    "PersonEraser",
    "erasure_handler",
    "mentions_person",
    "person_digest",
    "scrubbed",
    "skip_events_about_erased",
    "with_erasure",
]
