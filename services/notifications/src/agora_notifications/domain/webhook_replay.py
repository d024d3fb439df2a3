"""What a retried CreateWebhookSubscription shows (AIP-155): the subscription the first
call created and, for a short while and only while it still signs alone as the current
secret, the secret that call issued — so an integrator retrying after a network error
neither loses the secret nor creates a second subscription, while a request id found
later cannot be used to read a secret again (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from agora_notifications.domain.webhooks import WebhookSubscription, WithSecret

SECRET_REPLAY_WINDOW: Final = timedelta(minutes=15)
"""How long a retry of a create (same caller, same request id) still gets the secret."""


def replayed_secret(subscription: WebhookSubscription, secret_id: str, now: datetime) -> str:
    """The secret a retried create shows again: the one the create issued
    (``secret_id``), while it is still the current secret (not rotated) and within
    :data:`SECRET_REPLAY_WINDOW` of the create; otherwise "" (the caller rotates the
    secret to get a new one)."""
    for secret in subscription.secrets:
        if secret.secret_id == secret_id and secret.expires_at is None:
            return secret.value if now - secret.created_at <= SECRET_REPLAY_WINDOW else ""
    return ""


def created_ids(created: WithSecret) -> str:
    """What a create with a request id records as created: the subscription and the
    secret it issued (so a retry knows whether that secret is still the current one)."""
    subscription = created.subscription
    return f"{subscription.subscription_id} {subscription.secrets[0].secret_id}"


def parse_created_ids(recorded: str) -> tuple[str, str]:
    """The subscription and secret ids :func:`created_ids` recorded."""
    subscription_id, _, secret_id = recorded.partition(" ")
    return subscription_id, secret_id
