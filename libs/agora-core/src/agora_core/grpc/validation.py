"""Request validation shared by every servicer.

Servicers copy the fields they use out of the protobuf request into a pydantic model
(:func:`parse_request`), so limits live in one typed place and a bad field becomes
INVALID_ARGUMENT naming that field. Pagination lives in :mod:`agora_core.pagination`
and time fields in :mod:`agora_core.grpc.timestamps`; both are re-exported here for
the servicers written before they moved.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from agora_core.errors import InvalidArgument
from agora_core.grpc.timestamps import timestamp_value as timestamp_value
from agora_core.pagination import DEFAULT_PAGE_SIZE as DEFAULT_PAGE_SIZE
from agora_core.pagination import MAX_PAGE_SIZE as MAX_PAGE_SIZE
from agora_core.pagination import MAX_PAGE_TOKEN_LENGTH as MAX_PAGE_TOKEN_LENGTH
from agora_core.pagination import PAGE_SIZE_FIELD as PAGE_SIZE_FIELD
from agora_core.pagination import PAGE_TOKEN_FIELD as PAGE_TOKEN_FIELD
from agora_core.pagination import PageCursor as PageCursor
from agora_core.pagination import decode_page_token as decode_page_token
from agora_core.pagination import encode_page_token as encode_page_token
from agora_core.pagination import page_size as page_size

ModelT = TypeVar("ModelT", bound=BaseModel)


def parse_request(model_cls: type[ModelT], **fields: Any) -> ModelT:
    """Validate ``fields`` into ``model_cls``; InvalidArgument names every bad field."""
    try:
        return model_cls.model_validate(fields)
    except ValidationError as error:
        raise InvalidArgument.from_validation_error(error) from None
