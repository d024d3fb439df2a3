"""The relay's bounded hint queue."""

from __future__ import annotations

import pytest

from agora_core.outbox import OutboxHint
from agora_core.outbox.hints import HintQueue


def test_hints_come_out_once_each_in_arrival_order() -> None:
    queue = HintQueue(capacity=10)
    for doc_id in ("b", "a", "b", "c"):
        assert queue.add(OutboxHint("progress", doc_id))
    assert queue.add(OutboxHint("paths", "a"))  # same _id, other collection: its own hint
    assert queue.take() == [
        OutboxHint("progress", "b"),
        OutboxHint("progress", "a"),
        OutboxHint("progress", "c"),
        OutboxHint("paths", "a"),
    ]
    assert len(queue) == 0
    assert queue.take() == []


def test_a_full_queue_refuses_new_hints_but_accepts_repeats() -> None:
    queue = HintQueue(capacity=2)
    assert queue.add(OutboxHint("progress", 1))
    assert queue.add(OutboxHint("progress", 2))
    assert not queue.add(OutboxHint("progress", 3))
    assert queue.add(OutboxHint("progress", 2))
    assert len(queue) == 2


def test_a_queue_needs_room() -> None:
    with pytest.raises(ValueError, match="at least one"):
        HintQueue(capacity=0)
