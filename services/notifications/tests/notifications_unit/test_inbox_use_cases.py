"""The inbox use cases over the fakes: the caller only ever reads and marks their own
notifications in their own tenant; pages end where they should."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agora_core.identity import Principal, Role
from agora_notifications.domain.inbox import Notification
from agora_notifications.service_layer import inbox

from .fakes import FakeStore

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
ADA = Principal("u-ada", "t-1", frozenset({Role.LEARNER}))
ADA_ELSEWHERE = Principal("u-ada", "t-2", frozenset({Role.LEARNER}))


def _note(n: int, recipient: str = "u-ada") -> Notification:
    return Notification(
        f"n-{n}", recipient, "mention", "Mention", "You were mentioned", AT + timedelta(n)
    )


async def _store(*notes: Notification) -> FakeStore:
    store = FakeStore()
    async with store("t-1") as uow:
        for note in notes:
            await uow.inbox.add_once(note)
    return store


async def test_pages_follow_each_other_and_the_last_has_no_next() -> None:
    store = await _store(*(_note(n) for n in range(5)), _note(9, "u-bob"))
    first = await inbox.list_inbox(store, ADA, size=2, after=None, unread_only=False)
    assert [n.notification_id for n in first.notifications] == ["n-4", "n-3"]
    assert first.next is not None
    second = await inbox.list_inbox(store, ADA, size=2, after=first.next, unread_only=False)
    third = await inbox.list_inbox(store, ADA, size=2, after=second.next, unread_only=False)
    assert [n.notification_id for n in second.notifications] == ["n-2", "n-1"]
    assert [n.notification_id for n in third.notifications] == ["n-0"]
    assert third.next is None
    exact = await inbox.list_inbox(store, ADA, size=5, after=None, unread_only=False)
    assert exact.next is None, "a full last page has no next"


async def test_marking_touches_only_the_callers_unread_ones() -> None:
    store = await _store(_note(1), _note(2), _note(3), _note(4, "u-bob"))
    assert await inbox.unread_count(store, ADA) == 3
    assert await inbox.mark_read(store, ADA, ["n-1", "n-4", "n-404"], AT) == 1
    assert await inbox.mark_read(store, ADA, ["n-1"], AT) == 0
    unread = await inbox.list_inbox(store, ADA, size=10, after=None, unread_only=True)
    assert [n.notification_id for n in unread.notifications] == ["n-3", "n-2"]
    assert await inbox.mark_all_read(store, ADA, AT) == 2
    assert await inbox.unread_count(store, ADA) == 0
    async with store("t-1") as uow:
        assert await uow.inbox.unread_count("u-bob") == 1


async def test_the_same_person_id_in_another_tenant_sees_nothing() -> None:
    store = await _store(_note(1))
    assert await inbox.unread_count(store, ADA_ELSEWHERE) == 0
    page = await inbox.list_inbox(store, ADA_ELSEWHERE, size=10, after=None, unread_only=False)
    assert page.notifications == []
    assert await inbox.mark_all_read(store, ADA_ELSEWHERE, AT) == 0
    assert await inbox.unread_count(store, ADA) == 1
