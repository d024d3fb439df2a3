"""The webhook-subscription RPCs: each translates its request, calls one use case of
:mod:`service_layer.webhook_subscriptions` and translates the answer back."""

from __future__ import annotations

from datetime import timedelta

from typing_extensions import override

from agora.notifications.v1 import notifications_pb2 as pb
from agora.notifications.v1 import notifications_pb2_grpc
from agora_core.errors import InvalidArgument
from agora_core.grpc.aip import create_request
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.timestamps import to_timestamp
from agora_core.pagination import page_size
from agora_notifications.domain.webhooks import WebhookSubscription
from agora_notifications.service_layer.webhook_subscriptions import WebhookSubscriptionCases

# Durations beyond any allowed overlap are refused before converting (no overflow).
_MAX_DURATION_SECONDS = 10 * 365 * 24 * 3600


def subscription_pb(subscription: WebhookSubscription) -> pb.WebhookSubscription:
    """The subscription as the API shows it: secrets described, never their values."""
    return pb.WebhookSubscription(
        subscription_id=subscription.subscription_id,
        url=subscription.url,
        event_types=list(subscription.event_types),
        subjects=list(subscription.subjects),
        description=subscription.description,
        create_time=to_timestamp(subscription.created_at),
        update_time=to_timestamp(subscription.updated_at),
        paused=subscription.paused,
        secrets=[
            pb.WebhookSecretInfo(
                secret_id=secret.secret_id,
                create_time=to_timestamp(secret.created_at),
                expire_time=to_timestamp(secret.expires_at),
            )
            for secret in subscription.secrets
        ],
    )


def _overlap(request: pb.RotateWebhookSecretRequest) -> timedelta | None:
    if not request.HasField("overlap"):
        return None
    duration = request.overlap
    if abs(duration.seconds) > _MAX_DURATION_SECONDS or abs(duration.nanos) >= 1_000_000_000:
        raise InvalidArgument.single("overlap", "not a valid duration")
    return duration.ToTimedelta()


class WebhookRpcs(notifications_pb2_grpc.NotificationsServiceServicer):
    """The webhook-subscription part of the notifications servicer."""

    _webhooks: WebhookSubscriptionCases

    @override
    async def CreateWebhookSubscription(
        self, request: pb.CreateWebhookSubscriptionRequest, context: Context
    ) -> pb.CreateWebhookSubscriptionResponse:
        principal = current_principal()
        created = await self._webhooks.create(
            principal,
            request.url,
            list(request.event_types),
            list(request.subjects),
            request.description,
            create_request("CreateWebhookSubscription", request, caller=principal.subject),
        )
        return pb.CreateWebhookSubscriptionResponse(
            subscription=subscription_pb(created.subscription), secret=created.secret
        )

    @override
    async def ListWebhookSubscriptions(
        self, request: pb.ListWebhookSubscriptionsRequest, context: Context
    ) -> pb.ListWebhookSubscriptionsResponse:
        page = await self._webhooks.list_page(
            current_principal(), page_size(request.page_size), request.page_token
        )
        return pb.ListWebhookSubscriptionsResponse(
            subscriptions=[subscription_pb(s) for s in page.items],
            next_page_token=page.next_page_token,
        )

    @override
    async def UpdateWebhookSubscription(
        self, request: pb.UpdateWebhookSubscriptionRequest, context: Context
    ) -> pb.UpdateWebhookSubscriptionResponse:
        updated = await self._webhooks.update(
            current_principal(),
            request.subscription_id,
            list(request.update_mask.paths),
            request.url,
            list(request.event_types),
            list(request.subjects),
            request.description,
        )
        return pb.UpdateWebhookSubscriptionResponse(subscription=subscription_pb(updated))

    @override
    async def RotateWebhookSecret(
        self, request: pb.RotateWebhookSecretRequest, context: Context
    ) -> pb.RotateWebhookSecretResponse:
        rotated = await self._webhooks.rotate_secret(
            current_principal(), request.subscription_id, _overlap(request)
        )
        return pb.RotateWebhookSecretResponse(
            subscription=subscription_pb(rotated.subscription), secret=rotated.secret
        )

    @override
    async def PauseWebhookSubscription(
        self, request: pb.PauseWebhookSubscriptionRequest, context: Context
    ) -> pb.PauseWebhookSubscriptionResponse:
        paused = await self._webhooks.set_paused(
            current_principal(), request.subscription_id, paused=True
        )
        return pb.PauseWebhookSubscriptionResponse(subscription=subscription_pb(paused))

    @override
    async def ResumeWebhookSubscription(
        self, request: pb.ResumeWebhookSubscriptionRequest, context: Context
    ) -> pb.ResumeWebhookSubscriptionResponse:
        resumed = await self._webhooks.set_paused(
            current_principal(), request.subscription_id, paused=False
        )
        return pb.ResumeWebhookSubscriptionResponse(subscription=subscription_pb(resumed))

    @override
    async def PingWebhookSubscription(
        self, request: pb.PingWebhookSubscriptionRequest, context: Context
    ) -> pb.PingWebhookSubscriptionResponse:
        outcome = await self._webhooks.ping(current_principal(), request.subscription_id)
        return pb.PingWebhookSubscriptionResponse(
            ok=outcome.result.ok,
            status_code=outcome.result.status_code,
            error=outcome.result.error,
            webhook_id=outcome.webhook_id,
        )

    @override
    async def DeleteWebhookSubscription(
        self, request: pb.DeleteWebhookSubscriptionRequest, context: Context
    ) -> pb.DeleteWebhookSubscriptionResponse:
        await self._webhooks.delete(current_principal(), request.subscription_id)
        return pb.DeleteWebhookSubscriptionResponse()
