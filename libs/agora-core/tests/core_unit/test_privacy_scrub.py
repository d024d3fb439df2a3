"""Finding and replacing a person id in stored values (pure)."""

from __future__ import annotations

import pytest

from agora_core.privacy import mentions_person, person_digest, scrubbed

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("u-ada", True),
        ("@u-ada, thanks", True),
        ("ask @u-ada.", True),
        ("t1:knowledge:k1:u-ada", True),
        ("u-adam", False),
        ("x-u-ada", False),
        ("u-ada.b", False),
        ("mail u_ada", False),
    ],
)
def test_a_person_id_is_found_only_as_a_whole_token(text: str, found: bool) -> None:
    assert mentions_person(text, "u-ada") is found


def test_scrubbed_replaces_every_occurrence_recursively_and_keeps_the_rest() -> None:
    stored = {
        "author_id": "u-ada",
        "mentioned_user_ids": ["u-bob", "u-ada"],
        "body": "hi @u-ada and @u-adam",
        "nested": [{"by": "u-ada", "n": 3}],
        "counts": {"u-ada": 2},
    }
    assert scrubbed(stored, "u-ada", "[deleted user]") == {
        "author_id": "[deleted user]",
        "mentioned_user_ids": ["u-bob", "[deleted user]"],
        "body": "hi @[deleted user] and @u-adam",
        "nested": [{"by": "[deleted user]", "n": 3}],
        "counts": {"[deleted user]": 2},
    }
    assert scrubbed(scrubbed(stored, "u-ada", "x"), "u-ada", "x") == scrubbed(stored, "u-ada", "x")


def test_the_tombstone_digest_depends_on_the_tenant_and_hides_the_id() -> None:
    digest = person_digest("t1", "u-ada")
    assert digest != person_digest("t2", "u-ada")
    assert "u-ada" not in digest
    assert len(digest) == 64
