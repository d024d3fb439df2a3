"""The servicer's people directory RPCs."""

from __future__ import annotations

from typing_extensions import override

from agora.community.v1 import community_pb2 as pb
from agora_community.domain.people import Person
from agora_community.entrypoints import validation as v
from agora_community.entrypoints.servicer_base import ServicerBase
from agora_community.service_layer import people
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.validation import parse_request
from agora_core.pagination import page_size


class PeopleRpcs(ServicerBase):
    @override
    async def PutPeople(
        self, request: pb.PutPeopleRequest, context: Context
    ) -> pb.PutPeopleResponse:
        data = parse_request(
            v.NewPeople,
            people=[
                {"person_id": p.person_id, "display_name": p.display_name, "roles": list(p.roles)}
                for p in request.people
            ],
        )
        stored, skipped = await people.put_people(
            self._uows,
            current_principal(),
            [
                Person(p.person_id, p.display_name, tuple(dict.fromkeys(p.roles)))
                for p in data.people
            ],
        )
        return pb.PutPeopleResponse(stored=stored, skipped_erased=skipped)

    @override
    async def SearchPeople(
        self, request: pb.SearchPeopleRequest, context: Context
    ) -> pb.SearchPeopleResponse:
        data = parse_request(v.PeopleQuery, query=request.query)
        page = await people.search_people(
            self._uows,
            current_principal(),
            data.query,
            size=page_size(request.page_size),
            token=request.page_token,
        )
        return pb.SearchPeopleResponse(
            people=[
                pb.Person(person_id=p.person_id, display_name=p.display_name, roles=p.roles)
                for p in page.items
            ],
            next_page_token=page.next_page_token,
        )
