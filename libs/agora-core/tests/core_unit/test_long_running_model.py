"""The replay operation's names and results (pure)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agora_core.long_running.model import (
    CANCELLED,
    OperationFailure,
    ReplayOperation,
    operation_id_of,
)
from agora_core.messaging.replay import ReplayProgress


def started() -> ReplayOperation:
    return ReplayOperation.new(
        "acme",
        topic="agora.community.likes.v1",
        dead_letter_topic="agora.community.likes.v1.dlq",
        replayer_group="agora-ops.dlq-replay.agora.community.likes.v1.all",
        dry_run=False,
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("operations/abc123", "abc123"),
        ("operations/", None),
        ("operation/abc", None),
        ("operations/a/b", None),
        ("operations/" + "a" * 65, None),
        ("operations/a b", None),
    ],
)
def test_operation_names_are_parsed_strictly(name: str, expected: str | None) -> None:
    assert operation_id_of(name) == expected


def test_a_new_operation_is_running_with_a_fresh_id_and_no_result() -> None:
    first, second = started(), started()
    assert first.operation_id != second.operation_id
    assert first.name == f"operations/{first.operation_id}"
    assert operation_id_of(first.name) == first.operation_id
    assert not first.done
    assert first.result() is None


def test_a_finished_operation_has_the_report_and_a_failed_one_none() -> None:
    done = replace(started(), done=True, progress=ReplayProgress(10, 7, 7, 10), remaining=3)
    report = done.result()
    assert report is not None
    assert (report.read, report.matched, report.replayed) == (10, 7, 7)
    assert (report.filtered_out, report.remaining) == (3, 3)
    failed = replace(done, failure=OperationFailure(CANCELLED, "cancelled"))
    assert failed.result() is None
