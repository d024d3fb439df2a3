"""The gRPC servicer: translates requests into use cases; the tenant comes from the token."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any, Final

from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict, Field, field_validator
from typing_extensions import override

from agora.notifications.v1 import notifications_pb2 as pb
from agora_core.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from agora_core.grpc.auth import Role, current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.policy import ANY_AUTHENTICATED, MethodPolicy
from agora_core.grpc.validation import (
    PageCursor,
    decode_page_token,
    encode_page_token,
    page_size,
    parse_request,
)
from agora_core.storage import Document
from agora_notifications.adapters.profiles import People, Preferences
from agora_notifications.adapters.webhooks import AddressGuard
from agora_notifications.domain.model import (
    ALL_CATEGORIES,
    SUPPORTED_LOCALES,
    Channel,
    DeliveryState,
    DigestMode,
    NudgeCadence,
    Profile,
)
from agora_notifications.domain.preferences import (
    ChannelSetting,
    PreferenceLayer,
    QuietHours,
    is_known_category,
    resolve,
    resolve_quiet_hours,
)
from agora_notifications.domain.schedule import is_valid_zone
from agora_notifications.entrypoints.grpc_webhooks import (
    MAX_ID_LENGTH,
    OffsetCursor,
    WebhookSubscriptionRpcs,
)
from agora_notifications.service_layer import preferences as preference_cases
from agora_notifications.service_layer.intake import SubscriptionCache
from agora_notifications.service_layer.ports import Clock, Waker

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
        "ListDeliveries": ADMIN,
        "RetryDelivery": ADMIN,
    },
)

MAX_IDS: Final = 500

_CHANNELS: Final = {pb.CHANNEL_INBOX: Channel.INBOX, pb.CHANNEL_EMAIL: Channel.EMAIL}
_CHANNEL_TO_PB: Final = {
    "inbox": pb.CHANNEL_INBOX,
    "email": pb.CHANNEL_EMAIL,
    "webhook": pb.CHANNEL_WEBHOOK,
}
_DIGESTS: Final = {
    pb.DIGEST_MODE_IMMEDIATE: DigestMode.IMMEDIATE,
    pb.DIGEST_MODE_DAILY: DigestMode.DAILY,
    pb.DIGEST_MODE_WEEKLY: DigestMode.WEEKLY,
}
_DIGEST_TO_PB: Final = {v: k for k, v in _DIGESTS.items()}
_CADENCES: Final = {
    pb.NUDGE_CADENCE_UNSPECIFIED: NudgeCadence.OFF,
    pb.NUDGE_CADENCE_OFF: NudgeCadence.OFF,
    pb.NUDGE_CADENCE_DAILY: NudgeCadence.DAILY,
    pb.NUDGE_CADENCE_WEEKLY: NudgeCadence.WEEKLY,
}
_CADENCE_TO_PB: Final = {
    NudgeCadence.OFF: pb.NUDGE_CADENCE_OFF,
    NudgeCadence.DAILY: pb.NUDGE_CADENCE_DAILY,
    NudgeCadence.WEEKLY: pb.NUDGE_CADENCE_WEEKLY,
}
_SCOPES: Final = {pb.SCOPE_TENANT: "tenant", pb.SCOPE_SPACE: "space", pb.SCOPE_PERSON: "person"}
_SCOPE_TO_PB: Final = {v: k for k, v in _SCOPES.items()}
_STATES: Final = {
    pb.DELIVERY_STATE_PENDING: DeliveryState.PENDING,
    pb.DELIVERY_STATE_DELIVERED: DeliveryState.DELIVERED,
    pb.DELIVERY_STATE_FAILED: DeliveryState.FAILED,
    pb.DELIVERY_STATE_HELD: DeliveryState.HELD,
    pb.DELIVERY_STATE_DIGESTED: DeliveryState.DIGESTED,
    pb.DELIVERY_STATE_CANCELLED: DeliveryState.CANCELLED,
}
_STATE_TO_PB: Final = {v.value: k for k, v in _STATES.items()}


class ProfileInput(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    person_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    email: str = Field(default="", max_length=320, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    locale: str = Field(default="en")
    time_zone: str = Field(default="UTC", max_length=64)
    nudge_cadence: NudgeCadence = NudgeCadence.OFF
    nudge_hour: int = Field(default=9, ge=0, le=23)
    nudge_weekday: int = Field(default=1, ge=1, le=7)

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        value = value or "en"
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        value = value or "UTC"
        if not is_valid_zone(value):
            raise ValueError("unknown IANA time zone")
        return value

    def domain(self) -> Profile:
        return Profile(**self.model_dump())


class InboxCursor(PageCursor):
    before_time: datetime
    before_id: str = Field(min_length=1, max_length=200)


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _hhmm(value: str, field: str) -> time:
    try:
        if len(value) != 5:
            raise ValueError
        return time.fromisoformat(value)
    except ValueError:
        raise InvalidArgument.single(field, "must be HH:MM") from None


def parse_layer(message: pb.PreferenceLayer) -> tuple[str, str, PreferenceLayer]:
    """Validate a layer from the wire; INVALID_ARGUMENT names the offending field."""
    violations: list[FieldViolation] = []
    scope = _SCOPES.get(message.scope)
    if scope is None:
        violations.append(FieldViolation("layer.scope", "required"))
    if len(message.scope_id) > MAX_ID_LENGTH:
        violations.append(FieldViolation("layer.scope_id", "too long"))
    if scope == "space" and not message.scope_id:
        violations.append(FieldViolation("layer.scope_id", "required for a space layer"))
    if len(message.categories) > len(ALL_CATEGORIES) + 1:
        violations.append(FieldViolation("layer.categories", "too many entries"))
    rules: dict[str, dict[Channel, ChannelSetting]] = {}
    for i, category in enumerate(message.categories):
        path = f"layer.categories.{i}"
        if not is_known_category(category.category):
            violations.append(FieldViolation(f"{path}.category", "unknown category"))
            continue
        if category.category in rules:
            violations.append(FieldViolation(f"{path}.category", "listed twice"))
            continue
        channels: dict[Channel, ChannelSetting] = {}
        for j, setting in enumerate(category.channels):
            channel = _CHANNELS.get(setting.channel)
            if channel is None:
                violations.append(
                    FieldViolation(f"{path}.channels.{j}.channel", "must be inbox or email")
                )
                continue
            if channel in channels:
                violations.append(FieldViolation(f"{path}.channels.{j}.channel", "listed twice"))
                continue
            if channel is Channel.INBOX and setting.digest not in (
                pb.DIGEST_MODE_UNSPECIFIED,
                pb.DIGEST_MODE_IMMEDIATE,
            ):
                violations.append(
                    FieldViolation(f"{path}.channels.{j}.digest", "the inbox has no digest")
                )
                continue
            enabled = {pb.TOGGLE_ON: True, pb.TOGGLE_OFF: False}.get(setting.enabled)
            channels[channel] = ChannelSetting(enabled=enabled, digest=_DIGESTS.get(setting.digest))
        rules[category.category] = channels
    quiet: QuietHours | None = None
    if message.quiet_hours.start or message.quiet_hours.end:
        try:
            quiet = QuietHours(
                _hhmm(message.quiet_hours.start, "layer.quiet_hours.start"),
                _hhmm(message.quiet_hours.end, "layer.quiet_hours.end"),
            )
        except InvalidArgument as error:
            violations.extend(error.violations)
    forced = set()
    for i, name in enumerate(message.forced_categories):
        if scope != "tenant":
            violations.append(FieldViolation("layer.forced_categories", "tenant layer only"))
            break
        if name not in ALL_CATEGORIES:
            violations.append(FieldViolation(f"layer.forced_categories.{i}", "unknown category"))
        forced.add(name)
    if violations:
        raise InvalidArgument(violations)
    assert scope is not None
    return scope, message.scope_id, PreferenceLayer(rules, quiet, frozenset(forced))


def layer_to_pb(scope: str, scope_id: str, layer: PreferenceLayer) -> pb.PreferenceLayer:
    return pb.PreferenceLayer(
        scope=_SCOPE_TO_PB[scope],
        scope_id=scope_id,
        categories=[
            pb.CategoryPreference(
                category=category,
                channels=[
                    pb.ChannelSetting(
                        channel=_CHANNEL_TO_PB[channel.value],
                        enabled=(
                            pb.TOGGLE_UNSPECIFIED
                            if s.enabled is None
                            else pb.TOGGLE_ON
                            if s.enabled
                            else pb.TOGGLE_OFF
                        ),
                        digest=_DIGEST_TO_PB.get(s.digest, pb.DIGEST_MODE_UNSPECIFIED)
                        if s.digest
                        else pb.DIGEST_MODE_UNSPECIFIED,
                    )
                    for channel, s in sorted(channels.items())
                ],
            )
            for category, channels in sorted(layer.rules.items())
        ],
        quiet_hours=_quiet_pb(layer.quiet_hours),
        forced_categories=sorted(layer.forced),
    )


def _quiet_pb(quiet: QuietHours | None) -> pb.QuietHours:
    if quiet is None:
        return pb.QuietHours()
    return pb.QuietHours(start=quiet.start.strftime("%H:%M"), end=quiet.end.strftime("%H:%M"))


def _profile_pb(profile: Profile) -> pb.Profile:
    return pb.Profile(
        person_id=profile.person_id,
        email=profile.email,
        locale=profile.locale,
        time_zone=profile.time_zone,
        nudge_cadence=_CADENCE_TO_PB[profile.nudge_cadence],
        nudge_hour=profile.nudge_hour,
        nudge_weekday=profile.nudge_weekday,
    )


def _profile_input(message: pb.Profile, person_id: str, prefix: str) -> ProfileInput:
    try:
        return parse_request(
            ProfileInput,
            person_id=person_id,
            email=message.email,
            locale=message.locale,
            time_zone=message.time_zone,
            nudge_cadence=_CADENCES.get(message.nudge_cadence, NudgeCadence.OFF),
            nudge_hour=message.nudge_hour if message.nudge_hour or message.nudge_cadence else 9,
            nudge_weekday=message.nudge_weekday or 1,
        )
    except InvalidArgument as error:
        raise InvalidArgument(
            [FieldViolation(f"{prefix}.{v.field}", v.description) for v in error.violations]
        ) from None


def _notification_pb(document: Document) -> pb.Notification:
    return pb.Notification(
        notification_id=document["_id"],
        category=document["category"],
        title=document["title"],
        body=document["body"],
        subject_id=document.get("subject_id") or "",
        read=bool(document.get("read")),
        create_time=_ts(document["created_at"]),
        read_time=_ts(document.get("read_at")),
    )


def delivery_pb(document: Document) -> pb.Delivery:
    return pb.Delivery(
        delivery_id=document["_id"],
        channel=_CHANNEL_TO_PB.get(document["channel"], pb.CHANNEL_UNSPECIFIED),
        state=_STATE_TO_PB.get(document["state"], pb.DELIVERY_STATE_UNSPECIFIED),
        recipient_id=document.get("recipient_id", ""),
        subscription_id=document.get("subscription_id", ""),
        notification_id=document.get("notification_id", ""),
        event_type=document.get("event_type", ""),
        attempts=int(document.get("attempts", 0)),
        last_error=document.get("last_error", ""),
        next_attempt_time=_ts(document.get("next_attempt_at")),
        create_time=_ts(document.get("created_at")),
        log=[
            pb.DeliveryAttempt(
                time=_ts(entry["time"]),
                ok=bool(entry["ok"]),
                status_code=int(entry.get("status_code", 0)),
                error=entry.get("error", ""),
            )
            for entry in document.get("log", [])
        ],
    )


class NotificationsServicer(WebhookSubscriptionRpcs):
    """Inbox, profiles, preferences, webhooks and the delivery log."""

    def __init__(
        self,
        collections: Mapping[str, Any],
        *,
        people: People,
        preferences: Preferences,
        subscriptions: SubscriptionCache,
        guard: AddressGuard,
        clock: Clock,
        worker: Waker,
        known_event_types: frozenset[str],
        max_subscriptions: int,
    ) -> None:
        self._collections = collections
        self._people = people
        self._preferences = preferences
        self._subscriptions = subscriptions
        self._guard = guard
        self._clock = clock
        self._worker = worker
        self._known_event_types = known_event_types
        self._max_subscriptions = max_subscriptions

    # -- inbox ---------------------------------------------------------------------------

    @override
    async def ListInbox(
        self, request: pb.ListInboxRequest, context: Context
    ) -> pb.ListInboxResponse:
        size = page_size(request.page_size)
        cursor = decode_page_token(request.page_token, InboxCursor)
        query: dict[str, Any] = {"recipient_id": current_principal().subject}
        if request.unread_only:
            query["read"] = False
        if cursor is not None:
            query["$or"] = [
                {"created_at": {"$lt": cursor.before_time}},
                {"created_at": cursor.before_time, "_id": {"$lt": cursor.before_id}},
            ]
        documents = await self._repo("notifications").find(
            query,
            sort=(("created_at", -1), ("_id", -1)),
            limit=size + 1,
            projection={"outbox": 0},
        )
        token = ""
        if len(documents) > size:
            documents = documents[:size]
            last = documents[-1]
            token = encode_page_token(
                InboxCursor(before_time=last["created_at"], before_id=last["_id"])
            )
        return pb.ListInboxResponse(
            notifications=[_notification_pb(d) for d in documents], next_page_token=token
        )

    @override
    async def GetUnreadCount(
        self, request: pb.GetUnreadCountRequest, context: Context
    ) -> pb.GetUnreadCountResponse:
        unread = await self._repo("notifications").count(
            {"recipient_id": current_principal().subject, "read": False}
        )
        return pb.GetUnreadCountResponse(unread=unread)

    @override
    async def MarkRead(self, request: pb.MarkReadRequest, context: Context) -> pb.MarkReadResponse:
        ids = list(request.notification_ids)
        if not ids:
            raise InvalidArgument.single("notification_ids", "at least one id is required")
        if len(ids) > MAX_IDS:
            raise InvalidArgument.single("notification_ids", f"at most {MAX_IDS} ids")
        for i, value in enumerate(ids):
            if not value or len(value) > MAX_ID_LENGTH:
                raise InvalidArgument.single(f"notification_ids.{i}", "invalid id")
        result = await self._repo("notifications").collection.update_many(
            self._repo("notifications").scoped(
                {"_id": {"$in": ids}, "recipient_id": current_principal().subject, "read": False}
            ),
            {"$set": {"read": True, "read_at": self._clock.now()}},
        )
        return pb.MarkReadResponse(marked=result.modified_count)

    @override
    async def MarkAllRead(
        self, request: pb.MarkAllReadRequest, context: Context
    ) -> pb.MarkAllReadResponse:
        repo = self._repo("notifications")
        result = await repo.collection.update_many(
            repo.scoped({"recipient_id": current_principal().subject, "read": False}),
            {"$set": {"read": True, "read_at": self._clock.now()}},
        )
        return pb.MarkAllReadResponse(marked=result.modified_count)

    # -- profiles ------------------------------------------------------------------------

    @override
    async def GetMyProfile(
        self, request: pb.GetMyProfileRequest, context: Context
    ) -> pb.GetMyProfileResponse:
        principal = current_principal()
        profile = await self._people.profile(principal.tenant_id, principal.subject)
        return pb.GetMyProfileResponse(profile=_profile_pb(profile))

    @override
    async def UpdateMyProfile(
        self, request: pb.UpdateMyProfileRequest, context: Context
    ) -> pb.UpdateMyProfileResponse:
        principal = current_principal()
        profile = _profile_input(request.profile, principal.subject, "profile").domain()
        await self._people.save_profile(principal.tenant_id, profile, self._clock.now())
        return pb.UpdateMyProfileResponse(profile=_profile_pb(profile))

    @override
    async def UpsertProfiles(
        self, request: pb.UpsertProfilesRequest, context: Context
    ) -> pb.UpsertProfilesResponse:
        if not request.profiles:
            raise InvalidArgument.single("profiles", "at least one profile is required")
        if len(request.profiles) > MAX_IDS:
            raise InvalidArgument.single("profiles", f"at most {MAX_IDS} profiles per call")
        profiles = [
            _profile_input(p, p.person_id, f"profiles.{i}").domain()
            for i, p in enumerate(request.profiles)
        ]
        tenant = current_principal().tenant_id
        now = self._clock.now()
        for profile in profiles:
            await self._people.save_profile(tenant, profile, now)
        return pb.UpsertProfilesResponse(upserted=len(profiles))

    # -- preferences ---------------------------------------------------------------------

    def _check_scope_access(self, scope: str, scope_id: str) -> str:
        principal = current_principal()
        if scope == "person":
            scope_id = scope_id or principal.subject
            if scope_id != principal.subject and Role.ADMIN not in principal.roles:
                raise PermissionDenied("only admins may access another person's preferences")
            return scope_id
        if Role.ADMIN not in principal.roles:
            raise PermissionDenied(f"the {scope} layer is managed by admins")
        return "" if scope == "tenant" else scope_id

    @override
    async def GetPreferences(
        self, request: pb.GetPreferencesRequest, context: Context
    ) -> pb.GetPreferencesResponse:
        scope = _SCOPES.get(request.scope)
        if scope is None:
            raise InvalidArgument.single("scope", "required")
        if scope == "space" and not request.scope_id:
            raise InvalidArgument.single("scope_id", "required for a space layer")
        if len(request.scope_id) > MAX_ID_LENGTH:
            raise InvalidArgument.single("scope_id", "too long")
        scope_id = self._check_scope_access(scope, request.scope_id)
        layer = await self._preferences.get(current_principal().tenant_id, scope, scope_id)
        return pb.GetPreferencesResponse(
            layer=layer_to_pb(scope, scope_id, layer or PreferenceLayer())
        )

    @override
    async def SetPreferences(
        self, request: pb.SetPreferencesRequest, context: Context
    ) -> pb.SetPreferencesResponse:
        scope, scope_id, layer = parse_layer(request.layer)
        scope_id = self._check_scope_access(scope, scope_id)
        await preference_cases.set_layer(
            self._preferences,
            current_principal().tenant_id,
            scope,
            scope_id,
            layer,
            self._clock.now(),
        )
        return pb.SetPreferencesResponse(layer=layer_to_pb(scope, scope_id, layer))

    @override
    async def GetEffectivePreferences(
        self, request: pb.GetEffectivePreferencesRequest, context: Context
    ) -> pb.GetEffectivePreferencesResponse:
        if len(request.space_id) > MAX_ID_LENGTH:
            raise InvalidArgument.single("space_id", "too long")
        principal = current_principal()
        tenant, space, person = await self._preferences.layers(
            principal.tenant_id, request.space_id or None, principal.subject
        )
        entries = []
        for category in sorted(ALL_CATEGORIES):
            for channel in (Channel.INBOX, Channel.EMAIL):
                effective = resolve(category, channel, tenant=tenant, space=space, person=person)
                entries.append(
                    pb.EffectivePreference(
                        category=category,
                        channel=_CHANNEL_TO_PB[channel.value],
                        enabled=effective.enabled,
                        digest=_DIGEST_TO_PB[effective.digest],
                        forced=effective.forced,
                    )
                )
        quiet = resolve_quiet_hours(tenant=tenant, space=space, person=person)
        return pb.GetEffectivePreferencesResponse(preferences=entries, quiet_hours=_quiet_pb(quiet))

    # -- delivery log --------------------------------------------------------------------

    @override
    async def ListDeliveries(
        self, request: pb.ListDeliveriesRequest, context: Context
    ) -> pb.ListDeliveriesResponse:
        size = page_size(request.page_size)
        cursor = decode_page_token(request.page_token, OffsetCursor)
        offset = cursor.offset if cursor else 0
        query: dict[str, Any] = {}
        if request.channel:
            channel = {pb.CHANNEL_EMAIL: "email", pb.CHANNEL_WEBHOOK: "webhook"}.get(
                request.channel
            )
            if channel is None:
                raise InvalidArgument.single("channel", "deliveries are email or webhook")
            query["channel"] = channel
        for name, value in (
            ("subscription_id", request.subscription_id),
            ("recipient_id", request.recipient_id),
        ):
            if len(value) > MAX_ID_LENGTH:
                raise InvalidArgument.single(name, "too long")
            if value:
                query[name] = value
        if request.state:
            state = _STATES.get(request.state)
            if state is None:
                raise InvalidArgument.single("state", "unknown state")
            query["state"] = state.value
        documents = await self._repo("deliveries").find(
            query,
            sort=(("created_at", -1), ("_id", -1)),
            skip=offset,
            limit=size + 1,
            projection={"outbox": 0, "email": 0, "webhook": 0},
        )
        token = ""
        if len(documents) > size:
            documents = documents[:size]
            token = encode_page_token(OffsetCursor(offset=offset + size))
        return pb.ListDeliveriesResponse(
            deliveries=[delivery_pb(d) for d in documents], next_page_token=token
        )

    @override
    async def RetryDelivery(
        self, request: pb.RetryDeliveryRequest, context: Context
    ) -> pb.RetryDeliveryResponse:
        if not request.delivery_id or len(request.delivery_id) > MAX_ID_LENGTH:
            raise InvalidArgument.single("delivery_id", "invalid id")
        repo = self._repo("deliveries")
        current = await repo.find_one({"_id": request.delivery_id})
        if current is None:
            raise NotFound("delivery", request.delivery_id)
        if current["state"] != DeliveryState.FAILED.value:
            raise FailedPrecondition(
                f"only failed deliveries can be retried; this one is {current['state']}",
                current_state=current["state"],
            )
        # attempts restart so the retried delivery gets a full series again.
        updated = await repo.find_one_and_update(
            {"_id": request.delivery_id, "state": DeliveryState.FAILED.value},
            {
                "$set": {
                    "state": DeliveryState.PENDING.value,
                    "next_attempt_at": self._clock.now(),
                    "attempts": 0,
                    "retried": True,
                }
            },
        )
        if updated is None:
            raise FailedPrecondition("the delivery changed state meanwhile", current_state="")
        self._worker.notify()
        return pb.RetryDeliveryResponse(delivery=delivery_pb(updated))
