"""Preference layering: tenant → space → person, wildcards, forced categories, quiet hours."""

from __future__ import annotations

from datetime import time

import pytest

from agora_notifications.domain.model import Category, Channel, DigestMode
from agora_notifications.domain.preferences import (
    ChannelSetting,
    Effective,
    PreferenceLayer,
    QuietHours,
    resolve,
    resolve_quiet_hours,
    turned_off_forced,
)

pytestmark = pytest.mark.unit

E = Channel.EMAIL
I = Channel.INBOX  # noqa: E741 - reads like the channel name


def layer(
    rules: dict[str, dict[Channel, ChannelSetting]] | None = None,
    quiet: QuietHours | None = None,
    forced: frozenset[str] = frozenset(),
) -> PreferenceLayer:
    return PreferenceLayer(rules or {}, quiet, forced)


def test_without_any_layer_everything_is_on_and_immediate() -> None:
    for channel in (E, I):
        assert resolve(Category.MENTION, channel) == Effective(True, DigestMode.IMMEDIATE, False)


def test_each_more_specific_layer_overrides_what_it_sets_and_inherits_the_rest() -> None:
    tenant = layer({"mention": {E: ChannelSetting(enabled=False, digest=DigestMode.WEEKLY)}})
    space = layer({"mention": {E: ChannelSetting(enabled=True)}})
    person = layer({"mention": {E: ChannelSetting(digest=DigestMode.DAILY)}})
    assert resolve(Category.MENTION, E, tenant=tenant) == Effective(False, DigestMode.WEEKLY, False)
    assert resolve(Category.MENTION, E, tenant=tenant, space=space) == Effective(
        True, DigestMode.WEEKLY, False
    )
    assert resolve(Category.MENTION, E, tenant=tenant, space=space, person=person) == Effective(
        True, DigestMode.DAILY, False
    )
    # Another category or channel is untouched.
    assert resolve(Category.BADGE_AWARDED, E, tenant=tenant).enabled is True
    assert resolve(Category.MENTION, I, tenant=tenant).enabled is True


def test_a_person_can_switch_off_what_the_tenant_left_on() -> None:
    person = layer({"mention": {I: ChannelSetting(enabled=False)}})
    assert resolve(Category.MENTION, I, tenant=layer(), person=person).enabled is False


def test_wildcard_applies_to_categories_the_layer_does_not_name() -> None:
    person = layer(
        {
            "*": {E: ChannelSetting(enabled=False, digest=DigestMode.WEEKLY)},
            "mention": {E: ChannelSetting(enabled=True)},
        }
    )
    assert resolve(Category.BADGE_AWARDED, E, person=person).enabled is False
    mention = resolve(Category.MENTION, E, person=person)
    # The named rule wins on what it sets; the wildcard fills the digest it left open.
    assert (mention.enabled, mention.digest) == (True, DigestMode.WEEKLY)


def test_a_person_wildcard_beats_a_tenant_specific_rule() -> None:
    tenant = layer({"mention": {E: ChannelSetting(enabled=True)}})
    person = layer({"*": {E: ChannelSetting(enabled=False)}})
    assert resolve(Category.MENTION, E, tenant=tenant, person=person).enabled is False


def test_forced_categories_stay_on_whatever_the_lower_layers_say() -> None:
    tenant = layer(forced=frozenset({"assignment_created"}))
    person = layer({"*": {E: ChannelSetting(enabled=False), I: ChannelSetting(enabled=False)}})
    space = layer({"assignment_created": {E: ChannelSetting(enabled=False)}})
    for channel in (E, I):
        effective = resolve(
            Category.ASSIGNMENT_CREATED, channel, tenant=tenant, space=space, person=person
        )
        assert (effective.enabled, effective.forced) == (True, True)
    assert resolve(Category.MENTION, E, tenant=tenant, person=person).enabled is False


def test_the_inbox_never_digests() -> None:
    person = layer({"mention": {I: ChannelSetting(digest=DigestMode.DAILY)}})
    assert resolve(Category.MENTION, I, person=person).digest is DigestMode.IMMEDIATE


def test_switching_off_a_forced_category_by_name_is_reported_but_a_wildcard_is_not() -> None:
    tenant = layer(forced=frozenset({"assignment_created", "assignment_overdue"}))
    person = layer(
        {
            "assignment_overdue": {E: ChannelSetting(enabled=False)},
            "assignment_created": {E: ChannelSetting(digest=DigestMode.DAILY)},
            "*": {E: ChannelSetting(enabled=False)},
        }
    )
    assert turned_off_forced(person, tenant) == ["assignment_overdue"]
    assert turned_off_forced(person, None) == []


def test_quiet_hours_come_from_the_most_specific_layer() -> None:
    night = QuietHours(time(22), time(7))
    lunch = QuietHours(time(12), time(14))
    assert resolve_quiet_hours(tenant=layer(quiet=night)) == night
    assert resolve_quiet_hours(tenant=layer(quiet=night), person=layer(quiet=lunch)) == lunch
    assert resolve_quiet_hours(tenant=layer(), space=layer(), person=layer()) is None


@pytest.mark.parametrize(
    ("window", "at", "inside"),
    [
        (QuietHours(time(22), time(7)), time(23, 30), True),
        (QuietHours(time(22), time(7)), time(6, 59), True),
        (QuietHours(time(22), time(7)), time(7), False),
        (QuietHours(time(22), time(7)), time(12), False),
        (QuietHours(time(12), time(14)), time(13), True),
        (QuietHours(time(12), time(14)), time(14), False),
        (QuietHours(time(9), time(9)), time(9), False),
    ],
)
def test_quiet_windows_may_wrap_midnight(window: QuietHours, at: time, inside: bool) -> None:
    assert window.contains(at) is inside
