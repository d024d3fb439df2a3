"""The profile RPCs: a person's own profile, and admins' bulk upsert."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator
from typing_extensions import override

from agora.notifications.v1 import notifications_pb2 as pb
from agora.notifications.v1 import notifications_pb2_grpc
from agora_core.errors import FieldViolation, InvalidArgument
from agora_core.grpc.aip import update_paths
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.validation import parse_request
from agora_notifications.domain.model import SUPPORTED_LOCALES, NudgeCadence, Profile
from agora_notifications.domain.schedule import is_valid_zone
from agora_notifications.entrypoints.grpc_wire import ID_PATTERN, MAX_ID_LENGTH, MAX_IDS
from agora_notifications.service_layer import profiles
from agora_notifications.service_layer.ports import Clock, UnitOfWorkFactory

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


# No whitespace or control characters on either side of the @ (PostgreSQL refuses NUL).
_EMAIL: Final = r"^$|^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$"


class ProfileInput(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    person_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)
    email: str = Field(default="", max_length=320, pattern=_EMAIL)
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


def _profile_input(
    message: pb.Profile, person_id: str, prefix: str, paths: frozenset[str] | None = None
) -> ProfileInput:
    # Without a mask an unset hour means "the default"; named in a mask, 0 is midnight.
    hour_named = paths is not None and "nudge_hour" in paths
    try:
        return parse_request(
            ProfileInput,
            person_id=person_id,
            email=message.email,
            locale=message.locale,
            time_zone=message.time_zone,
            nudge_cadence=_CADENCES.get(message.nudge_cadence, NudgeCadence.OFF),
            nudge_hour=(
                message.nudge_hour
                if hour_named or message.nudge_hour or message.nudge_cadence
                else 9
            ),
            nudge_weekday=message.nudge_weekday or 1,
        )
    except InvalidArgument as error:
        raise InvalidArgument(
            [FieldViolation(f"{prefix}.{v.field}", v.description) for v in error.violations]
        ) from None


class ProfileRpcs(notifications_pb2_grpc.NotificationsServiceServicer):
    """GetMyProfile, UpdateMyProfile, UpsertProfiles (the servicer inherits them)."""

    _units: UnitOfWorkFactory
    _clock: Clock

    @override
    async def GetMyProfile(
        self, request: pb.GetMyProfileRequest, context: Context
    ) -> pb.GetMyProfileResponse:
        profile = await profiles.my_profile(self._units, current_principal())
        return pb.GetMyProfileResponse(profile=_profile_pb(profile))

    @override
    async def UpdateMyProfile(
        self, request: pb.UpdateMyProfileRequest, context: Context
    ) -> pb.UpdateMyProfileResponse:
        principal = current_principal()
        paths = update_paths(request.update_mask, profiles.PROFILE_FIELDS)
        wanted = _profile_input(request.profile, principal.subject, "profile", paths).domain()
        saved = await profiles.update_my_profile(
            self._units, principal, wanted, paths, self._clock.now()
        )
        return pb.UpdateMyProfileResponse(profile=_profile_pb(saved))

    @override
    async def UpsertProfiles(
        self, request: pb.UpsertProfilesRequest, context: Context
    ) -> pb.UpsertProfilesResponse:
        if not request.profiles:
            raise InvalidArgument.single("profiles", "at least one profile is required")
        if len(request.profiles) > MAX_IDS:
            raise InvalidArgument.single("profiles", f"at most {MAX_IDS} profiles per call")
        wanted = [
            _profile_input(p, p.person_id, f"profiles.{i}").domain()
            for i, p in enumerate(request.profiles)
        ]
        await profiles.save_profiles(self._units, current_principal(), wanted, self._clock.now())
        return pb.UpsertProfilesResponse(upserted=len(wanted))
