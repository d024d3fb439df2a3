"""Keyset pages, the transport-free identity and Timestamp conversion (pure, no I/O)."""

from __future__ import annotations

import datetime as dt

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from agora_core.grpc.timestamps import optional_timestamp_value, to_timestamp
from agora_core.identity import Principal, Role
from agora_core.pagination import Page, PageCursor, decode_page_token, keyset_page

pytestmark = pytest.mark.unit


class _AfterId(PageCursor):
    after_id: int


def _cursor(row: int) -> _AfterId:
    return _AfterId(after_id=row)


def test_a_page_with_more_rows_behind_it_carries_the_last_kept_row_as_cursor() -> None:
    page = keyset_page([1, 2, 3, 4], 3, _cursor)

    assert page.items == [1, 2, 3]
    assert decode_page_token(page.next_page_token, _AfterId) == _AfterId(after_id=3)


@pytest.mark.parametrize("rows", [[1, 2, 3], [1], []])
def test_the_last_page_has_no_token(rows: list[int]) -> None:
    assert keyset_page(rows, 3, _cursor) == Page(rows, "")


def test_paging_through_with_the_tokens_visits_every_row_once() -> None:
    table = list(range(1, 11))
    seen: list[int] = []
    token = ""
    while True:
        cursor = decode_page_token(token, _AfterId)
        after = cursor.after_id if cursor else 0
        page = keyset_page([r for r in table if r > after][:4], 3, _cursor)
        seen += page.items
        token = page.next_page_token
        if not token:
            break
    assert seen == table


def test_principal_roles_and_admin() -> None:
    admin = Principal("ada", "acme", frozenset({Role.ADMIN}))
    learner = Principal("bob", "acme", frozenset({Role.LEARNER}))

    assert admin.is_admin
    assert not learner.is_admin
    assert learner.has_role(Role.LEARNER)
    assert not learner.has_role(Role.EXPERT)
    assert learner.has_any_role(frozenset({Role.EXPERT, Role.LEARNER}))
    assert Principal("svc", "acme").roles == frozenset()


def test_the_grpc_layer_names_the_same_identity_types() -> None:
    from agora_core.grpc import auth

    assert auth.Principal is Principal
    assert auth.Role is Role


def test_timestamps_round_trip_and_naive_times_are_utc() -> None:
    aware = dt.datetime(2026, 12, 6, 20, 30, tzinfo=dt.UTC)
    naive = dt.datetime(2026, 12, 6, 20, 30)

    assert to_timestamp(None) is None
    stamp = to_timestamp(aware)
    assert stamp is not None
    assert stamp == to_timestamp(naive)
    assert optional_timestamp_value(stamp, True, "due_at") == aware
    assert optional_timestamp_value(Timestamp(), False, "due_at") is None


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 12, 7, 16, 59, 3, 123456, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 7, 16, 59, 3, 999999),  # naive: UTC
        dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.timezone(-dt.timedelta(hours=9, minutes=30))),
        dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=dt.UTC),  # before the epoch
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    ],
)
def test_a_timestamp_is_the_one_protobuf_computes_from_the_same_moment(
    moment: dt.datetime,
) -> None:
    expected = Timestamp()
    expected.FromDatetime(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
    assert to_timestamp(moment) == expected
    stamp = to_timestamp(moment)
    assert stamp is not None
    assert stamp.ToDatetime(tzinfo=dt.UTC) == (
        moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    )
