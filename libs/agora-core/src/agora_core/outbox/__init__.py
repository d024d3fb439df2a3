"""Transactional outbox without multi-document transactions.

A state change and the events it causes are written in ONE document update: the
events are appended to an ``outbox`` array inside the aggregate document itself
(see :func:`with_outbox`). A single-document write is atomic on every MongoDB and on
FerretDB, so either both the change and its events are stored, or neither. The
:class:`OutboxRelay` publishes pending entries and then pulls them from the array; a
writer that passes an :class:`OutboxHint` to ``notify`` spares it a collection scan.
"""

from agora_core.outbox.entries import OUTBOX_FIELD, outbox_index, with_outbox
from agora_core.outbox.hints import OutboxHint, OutboxNotifier
from agora_core.outbox.relay import OutboxRelay

__all__ = [
    "OUTBOX_FIELD",
    "OutboxHint",
    "OutboxNotifier",
    "OutboxRelay",
    "outbox_index",
    "with_outbox",
]
