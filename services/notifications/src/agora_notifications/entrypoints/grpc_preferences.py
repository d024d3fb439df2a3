"""The preference RPCs: layers on the wire, access to each scope, the effective result."""

from __future__ import annotations

from datetime import time
from typing import Final

from typing_extensions import override

from agora.notifications.v1 import notifications_pb2 as pb
from agora.notifications.v1 import notifications_pb2_grpc
from agora_core.errors import FieldViolation, InvalidArgument, PermissionDenied
from agora_core.grpc.auth import Role, current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_notifications.domain.model import ALL_CATEGORIES, Channel, DigestMode
from agora_notifications.domain.preferences import (
    ChannelSetting,
    PreferenceLayer,
    QuietHours,
    is_known_category,
    resolve,
    resolve_quiet_hours,
)
from agora_notifications.entrypoints.grpc_wire import CHANNEL_TO_PB, checked_id, id_problem
from agora_notifications.service_layer import preferences as preference_cases
from agora_notifications.service_layer.ports import Clock, UnitOfWorkFactory

_CHANNELS: Final = {pb.CHANNEL_INBOX: Channel.INBOX, pb.CHANNEL_EMAIL: Channel.EMAIL}


_DIGESTS: Final = {
    pb.DIGEST_MODE_IMMEDIATE: DigestMode.IMMEDIATE,
    pb.DIGEST_MODE_DAILY: DigestMode.DAILY,
    pb.DIGEST_MODE_WEEKLY: DigestMode.WEEKLY,
}
_DIGEST_TO_PB: Final = {v: k for k, v in _DIGESTS.items()}


_SCOPES: Final = {pb.SCOPE_TENANT: "tenant", pb.SCOPE_SPACE: "space", pb.SCOPE_PERSON: "person"}
_SCOPE_TO_PB: Final = {v: k for k, v in _SCOPES.items()}


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
    problem = id_problem(message.scope_id, required=False)
    if problem is not None:
        violations.append(FieldViolation("layer.scope_id", problem))
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
                        channel=CHANNEL_TO_PB[channel.value],
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


class PreferenceRpcs(notifications_pb2_grpc.NotificationsServiceServicer):
    """GetPreferences, SetPreferences, GetEffectivePreferences (the servicer inherits them)."""

    _units: UnitOfWorkFactory
    _clock: Clock

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
        checked_id(request.scope_id, "scope_id", required=False)
        scope_id = self._check_scope_access(scope, request.scope_id)
        layer = await preference_cases.get_layer(
            self._units, current_principal().tenant_id, scope, scope_id
        )
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
            self._units,
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
        checked_id(request.space_id, "space_id", required=False)
        principal = current_principal()
        tenant, space, person = await preference_cases.layers_of(
            self._units, principal.tenant_id, request.space_id or None, principal.subject
        )
        entries = []
        for category in sorted(ALL_CATEGORIES):
            for channel in (Channel.INBOX, Channel.EMAIL):
                effective = resolve(category, channel, tenant=tenant, space=space, person=person)
                entries.append(
                    pb.EffectivePreference(
                        category=category,
                        channel=CHANNEL_TO_PB[channel.value],
                        enabled=effective.enabled,
                        digest=_DIGEST_TO_PB[effective.digest],
                        forced=effective.forced,
                    )
                )
        quiet = resolve_quiet_hours(tenant=tenant, space=space, person=person)
        return pb.GetEffectivePreferencesResponse(preferences=entries, quiet_hours=_quiet_pb(quiet))
