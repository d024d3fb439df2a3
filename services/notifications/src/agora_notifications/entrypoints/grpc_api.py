"""The gRPC servicer: translates requests into use cases; the tenant comes from the token.

Its RPCs live in one module per concern (grpc_inbox, grpc_profiles, grpc_preferences,
grpc_deliveries, grpc_webhooks), each a base class the servicer inherits."""

from __future__ import annotations

from typing import Final

from agora.notifications.v1 import notifications_pb2 as pb
from agora_core.grpc.auth import Role
from agora_core.grpc.policy import ANY_AUTHENTICATED, MethodPolicy
from agora_notifications.entrypoints.grpc_deliveries import DeliveryRpcs
from agora_notifications.entrypoints.grpc_inbox import InboxRpcs
from agora_notifications.entrypoints.grpc_preferences import PreferenceRpcs
from agora_notifications.entrypoints.grpc_profiles import ProfileRpcs
from agora_notifications.entrypoints.grpc_webhooks import WebhookRpcs
from agora_notifications.service_layer.ports import Clock, UnitOfWorkFactory, Waker
from agora_notifications.service_layer.webhook_subscriptions import WebhookSubscriptionCases

SERVICE: Final = pb.DESCRIPTOR.services_by_name["NotificationsService"]
SERVICE_NAME: Final[str] = SERVICE.full_name
ADMIN: Final = frozenset({Role.ADMIN})

POLICY: Final = MethodPolicy.for_service(
    SERVICE,
    {
        "ListInbox": ANY_AUTHENTICATED,
        "GetUnreadCount": ANY_AUTHENTICATED,
        "MarkRead": ANY_AUTHENTICATED,
        "MarkAllRead": ANY_AUTHENTICATED,
        "GetMyProfile": ANY_AUTHENTICATED,
        "UpdateMyProfile": ANY_AUTHENTICATED,
        "UpsertProfiles": ADMIN,
        "GetPreferences": ANY_AUTHENTICATED,
        "SetPreferences": ANY_AUTHENTICATED,
        "GetEffectivePreferences": ANY_AUTHENTICATED,
        "CreateWebhookSubscription": ADMIN,
        "ListWebhookSubscriptions": ADMIN,
        "DeleteWebhookSubscription": ADMIN,
        "UpdateWebhookSubscription": ADMIN,
        "RotateWebhookSecret": ADMIN,
        "PauseWebhookSubscription": ADMIN,
        "ResumeWebhookSubscription": ADMIN,
        "PingWebhookSubscription": ADMIN,
        "ListDeliveries": ADMIN,
        "RetryDelivery": ADMIN,
    },
)


class NotificationsServicer(InboxRpcs, ProfileRpcs, PreferenceRpcs, DeliveryRpcs, WebhookRpcs):
    """Inbox, profiles, preferences, webhooks and the delivery log."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        *,
        webhooks: WebhookSubscriptionCases,
        clock: Clock,
        worker: Waker,
    ) -> None:
        self._units = units
        self._webhooks = webhooks
        self._clock = clock
        self._worker = worker
