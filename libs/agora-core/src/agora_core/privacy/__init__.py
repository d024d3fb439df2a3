"""Right to erasure, shared by every service (see docs/privacy.md).

- :mod:`.postgres`: the erasure of a service on PostgreSQL: tombstones, the service's
  declared steps run in the consumer's unit of work, the guard around every handler;
- :mod:`.tombstones`: how a tombstone names a person (a digest), and pseudonyms;
- :mod:`.scrub`: finding a person id in stored values and replacing it;
- :mod:`.guard`: which persons an event names (what the guard checks);
- :mod:`.callers`: refusing gRPC calls made with an erased person's token.
"""

from agora_core.privacy.callers import ErasedCallerVerifier
from agora_core.privacy.guard import PERSON_ERASED, people_named
from agora_core.privacy.scrub import mentions_person, scrubbed
from agora_core.privacy.tombstones import new_pseudonym, person_digest

__all__ = [
    "PERSON_ERASED",
    "ErasedCallerVerifier",
    "mentions_person",
    "new_pseudonym",
    "people_named",
    "person_digest",
    "scrubbed",
]
