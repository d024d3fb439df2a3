"""Settings that must never fall back to a value everyone knows."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from agora_notifications.settings import DEV_UNSUBSCRIBE_SECRET, NotificationsSettings

pytestmark = pytest.mark.unit

PRODUCTION: dict[str, Any] = {"jwt_jwks_url": "https://idp.example/jwks"}


def test_the_unsubscribe_secret_is_required_outside_dev_mode() -> None:
    with pytest.raises(ValidationError, match="unsubscribe_secret is required outside dev mode"):
        NotificationsSettings(**PRODUCTION)
    with pytest.raises(ValidationError, match="unsubscribe_secret"):
        NotificationsSettings(**PRODUCTION, unsubscribe_secret="too-short")
    chosen = "s" * 40
    settings = NotificationsSettings(**PRODUCTION, unsubscribe_secret=chosen)
    assert settings.unsubscribe_key() == chosen
    assert chosen not in repr(settings)  # a secret string: never printed


def test_dev_mode_signs_with_the_development_key_unless_one_is_set() -> None:
    dev: dict[str, Any] = {"dev_mode": True, "jwt_hs256_secret": "x" * 40}
    assert NotificationsSettings(**dev).unsubscribe_key() == DEV_UNSUBSCRIBE_SECRET
    assert NotificationsSettings(**dev, unsubscribe_secret="k" * 32).unsubscribe_key() == "k" * 32
