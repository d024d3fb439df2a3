"""``agora.community.v1.PrivacyService``: the admin's ``ErasePerson``."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict
from typing_extensions import override

from agora.community.v1 import privacy_pb2 as pb
from agora.community.v1 import privacy_pb2_grpc
from agora_community.entrypoints.validation import EntityId
from agora_community.service_layer.erasure import ErasureRecord, request_erasure
from agora_community.service_layer.ports import UnitOfWorkFactory
from agora_contracts.events.domains.privacy import ErasureReason
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.policy import MethodPolicy
from agora_core.grpc.timestamps import to_timestamp
from agora_core.grpc.validation import parse_request
from agora_core.identity import Role

PRIVACY_SERVICE: Final = pb.DESCRIPTOR.services_by_name["PrivacyService"]
PRIVACY_SERVICE_NAME: Final[str] = PRIVACY_SERVICE.full_name
PRIVACY_POLICY: Final = MethodPolicy.for_service(PRIVACY_SERVICE, {"ErasePerson": {Role.ADMIN}})

REASONS: Final[dict[pb.ErasureReason.ValueType, ErasureReason]] = {
    pb.ERASURE_REASON_DATA_SUBJECT_REQUEST: "data_subject_request",
    pb.ERASURE_REASON_ACCOUNT_CLOSED: "account_closed",
    pb.ERASURE_REASON_RETENTION_EXPIRED: "retention_expired",
    pb.ERASURE_REASON_LEGAL_OBLIGATION: "legal_obligation",
}
_REASON_NUMBERS: Final = {reason: number for number, reason in REASONS.items()}


class ErasureRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: EntityId
    reason: ErasureReason


def erasure_message(record: ErasureRecord) -> pb.Erasure:
    return pb.Erasure(
        erasure_id=record.erasure_id,
        person_id=record.person_id,
        requested_by=record.requested_by,
        reason=_REASON_NUMBERS[record.reason],
        request_time=to_timestamp(record.requested_at),
    )


class PrivacyServicer(privacy_pb2_grpc.PrivacyServiceServicer):
    """Admin-only (policy); tenant and admin from the token."""

    def __init__(self, uows: UnitOfWorkFactory) -> None:
        self._uows = uows

    @override
    async def ErasePerson(
        self, request: pb.ErasePersonRequest, context: Context
    ) -> pb.ErasePersonResponse:
        data = parse_request(
            ErasureRequest, person_id=request.person_id, reason=REASONS.get(request.reason)
        )
        record = await request_erasure(
            self._uows, current_principal(), person_id=data.person_id, reason=data.reason
        )
        return pb.ErasePersonResponse(erasure=erasure_message(record), created=record.created)
