"""The gRPC servicer: validate, call one use case, translate the result to messages."""

from __future__ import annotations

from typing import Final

from typing_extensions import override

from agora.community.v1 import community_pb2 as pb
from agora_community.domain.model import SpaceRole
from agora_community.entrypoints import messages as m
from agora_community.entrypoints import validation as v
from agora_community.entrypoints.grpc_people import PeopleRpcs
from agora_community.entrypoints.grpc_questions import QuestionRpcs
from agora_community.entrypoints.servicer_base import ServicerBase
from agora_community.service_layer import comments, likes, popularity, spaces
from agora_core.grpc.aip import changed, create_request, not_clearable, update_paths
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.policy import ANY_AUTHENTICATED, MethodPolicy
from agora_core.grpc.validation import parse_request
from agora_core.identity import Role
from agora_core.pagination import page_size

COMMUNITY_SERVICE: Final = pb.DESCRIPTOR.services_by_name["CommunityService"]
COMMUNITY_SERVICE_NAME: Final[str] = COMMUNITY_SERVICE.full_name
CREATORS: Final = frozenset({Role.CONTRIBUTOR, Role.EXPERT, Role.MANAGER, Role.ADMIN})
RESTRICTED: Final = {"CreateSpace": CREATORS, "PutPeople": frozenset({Role.ADMIN})}

# Relationship checks (space owner, moderator, author, asker) happen in the use cases;
# the policy states who may call at all.
COMMUNITY_POLICY: Final = MethodPolicy.for_service(
    COMMUNITY_SERVICE,
    {
        method.name: RESTRICTED.get(method.name, ANY_AUTHENTICATED)
        for method in COMMUNITY_SERVICE.methods
    },
)


class CommunityServicer(QuestionRpcs, PeopleRpcs, ServicerBase):
    """Every method: the caller from the token, validated input, one use case
    (questions, experts and moderation in ``grpc_questions``; the people directory in
    ``grpc_people``)."""

    # Spaces

    @override
    async def CreateSpace(
        self, request: pb.CreateSpaceRequest, context: Context
    ) -> pb.CreateSpaceResponse:
        data = parse_request(
            v.NewSpace,
            name=request.name,
            description=request.description,
            visibility=v.VISIBILITIES.get(request.visibility),
            topic=request.topic,
        )
        space = await spaces.create_space(
            self._uows,
            current_principal(),
            name=data.name,
            description=data.description,
            visibility=data.visibility,
            topic=data.topic,
            request=create_request("CreateSpace", request),
        )
        return pb.CreateSpaceResponse(space=m.space_message(space, SpaceRole.OWNER))

    @override
    async def UpdateSpace(
        self, request: pb.UpdateSpaceRequest, context: Context
    ) -> pb.UpdateSpaceResponse:
        paths = update_paths(request.update_mask, v.SPACE_FIELDS)
        data = parse_request(
            v.SpaceChanges,
            space_id=request.space_id,
            name=request.name,
            description=request.description,
            visibility=v.VISIBILITIES.get(request.visibility),
        )
        not_clearable(paths, name=data.name, visibility=data.visibility)
        space, member = await spaces.update_space(
            self._uows,
            current_principal(),
            data.space_id,
            name=changed(data.name, "name", paths),
            description=changed(data.description, "description", paths),
            visibility=changed(data.visibility, "visibility", paths),
        )
        return pb.UpdateSpaceResponse(space=m.space_message(space, member.role if member else None))

    @override
    async def GetSpace(self, request: pb.GetSpaceRequest, context: Context) -> pb.GetSpaceResponse:
        data = parse_request(v.SpaceRef, space_id=request.space_id)
        space, member = await spaces.get_space(self._uows, current_principal(), data.space_id)
        return pb.GetSpaceResponse(space=m.space_message(space, member.role if member else None))

    @override
    async def ListMySpaces(
        self, request: pb.ListMySpacesRequest, context: Context
    ) -> pb.ListMySpacesResponse:
        page = await spaces.my_spaces(
            self._uows, current_principal(), page_size(request.page_size), request.page_token
        )
        return pb.ListMySpacesResponse(
            spaces=[m.space_message(space, member.role) for member, space in page.items],
            next_page_token=page.next_page_token,
        )

    @override
    async def DiscoverSpaces(
        self, request: pb.DiscoverSpacesRequest, context: Context
    ) -> pb.DiscoverSpacesResponse:
        data = parse_request(v.Discover, name_prefix=request.name_prefix)
        page = await spaces.discover(
            self._uows,
            current_principal(),
            data.name_prefix,
            page_size(request.page_size),
            request.page_token,
        )
        return pb.DiscoverSpacesResponse(
            spaces=[m.space_message(s) for s in page.items], next_page_token=page.next_page_token
        )

    @override
    async def JoinSpace(
        self, request: pb.JoinSpaceRequest, context: Context
    ) -> pb.JoinSpaceResponse:
        data = parse_request(v.SpaceRef, space_id=request.space_id)
        member = await spaces.join_space(self._uows, current_principal(), data.space_id)
        return pb.JoinSpaceResponse(member=m.member_message(member))

    @override
    async def LeaveSpace(
        self, request: pb.LeaveSpaceRequest, context: Context
    ) -> pb.LeaveSpaceResponse:
        data = parse_request(v.SpaceRef, space_id=request.space_id)
        await spaces.leave_space(self._uows, current_principal(), data.space_id)
        return pb.LeaveSpaceResponse()

    @override
    async def InviteToSpace(
        self, request: pb.InviteToSpaceRequest, context: Context
    ) -> pb.InviteToSpaceResponse:
        data = parse_request(v.SpacePerson, space_id=request.space_id, user_id=request.user_id)
        await spaces.invite(self._uows, current_principal(), data.space_id, data.user_id)
        return pb.InviteToSpaceResponse()

    @override
    async def SetMemberRole(
        self, request: pb.SetMemberRoleRequest, context: Context
    ) -> pb.SetMemberRoleResponse:
        data = parse_request(
            v.RoleChange,
            space_id=request.space_id,
            user_id=request.user_id,
            role=v.ROLES.get(request.role),
        )
        member = await spaces.set_role(
            self._uows, current_principal(), data.space_id, data.user_id, data.role
        )
        return pb.SetMemberRoleResponse(member=m.member_message(member))

    @override
    async def ListMembers(
        self, request: pb.ListMembersRequest, context: Context
    ) -> pb.ListMembersResponse:
        data = parse_request(v.SpaceRef, space_id=request.space_id)
        page = await spaces.members(
            self._uows,
            current_principal(),
            data.space_id,
            page_size(request.page_size),
            request.page_token,
        )
        return pb.ListMembersResponse(
            members=[m.member_message(x) for x in page.items], next_page_token=page.next_page_token
        )

    # Comments

    @override
    async def PostComment(
        self, request: pb.PostCommentRequest, context: Context
    ) -> pb.PostCommentResponse:
        data = parse_request(
            v.NewComment,
            target=v.target_fields(request.target),
            parent_comment_id=request.parent_comment_id,
            body=request.body,
        )
        comment = await comments.post_comment(
            self._uows,
            current_principal(),
            self._limits,
            kind=data.target.type,
            target_id=data.target.id,
            parent_comment_id=data.parent_comment_id or None,
            body=data.body,
            max_mentions=self._settings.max_mentions,
        )
        return pb.PostCommentResponse(comment=m.comment_message(comment))

    @override
    async def EditComment(
        self, request: pb.EditCommentRequest, context: Context
    ) -> pb.EditCommentResponse:
        data = parse_request(v.CommentText, comment_id=request.comment_id, body=request.body)
        comment = await comments.edit_comment(
            self._uows, current_principal(), data.comment_id, data.body
        )
        return pb.EditCommentResponse(comment=m.comment_message(comment, with_revisions=True))

    @override
    async def DeleteComment(
        self, request: pb.DeleteCommentRequest, context: Context
    ) -> pb.DeleteCommentResponse:
        data = parse_request(v.CommentRef, comment_id=request.comment_id)
        comment = await comments.delete_comment(self._uows, current_principal(), data.comment_id)
        return pb.DeleteCommentResponse(comment=m.comment_message(comment))

    @override
    async def GetComment(
        self, request: pb.GetCommentRequest, context: Context
    ) -> pb.GetCommentResponse:
        data = parse_request(v.CommentRef, comment_id=request.comment_id)
        comment, revisions = await comments.get_comment(
            self._uows, current_principal(), data.comment_id
        )
        return pb.GetCommentResponse(comment=m.comment_message(comment, with_revisions=revisions))

    @override
    async def ListComments(
        self, request: pb.ListCommentsRequest, context: Context
    ) -> pb.ListCommentsResponse:
        data = parse_request(v.TargetOnly, target=v.target_fields(request.target))
        page = await comments.list_comments(
            self._uows,
            current_principal(),
            data.target.type,
            data.target.id,
            page_size(request.page_size),
            request.page_token,
        )
        return pb.ListCommentsResponse(
            comments=[m.comment_message(c) for c in page.items],
            next_page_token=page.next_page_token,
        )

    # Likes and popularity

    @override
    async def Like(self, request: pb.LikeRequest, context: Context) -> pb.LikeResponse:
        data = parse_request(v.TargetOnly, target=v.target_fields(request.target))
        changed = await likes.like(
            self._uows, current_principal(), self._limits, data.target.type, data.target.id
        )
        return pb.LikeResponse(changed=changed)

    @override
    async def Unlike(self, request: pb.UnlikeRequest, context: Context) -> pb.UnlikeResponse:
        data = parse_request(v.TargetOnly, target=v.target_fields(request.target))
        changed = await likes.unlike(
            self._uows, current_principal(), self._limits, data.target.type, data.target.id
        )
        return pb.UnlikeResponse(changed=changed)

    @override
    async def GetPopularity(
        self, request: pb.GetPopularityRequest, context: Context
    ) -> pb.GetPopularityResponse:
        data = parse_request(
            v.PopularityQuery, targets=[v.target_fields(t) for t in request.targets]
        )
        found = await popularity.popularity_of(
            self._uows,
            current_principal(),
            [(t.type, t.id) for t in data.targets],
            self._settings.trending_half_life_hours,
        )
        return pb.GetPopularityResponse(popularity=[m.popularity_message(p) for p in found])

    @override
    async def ListTrending(
        self, request: pb.ListTrendingRequest, context: Context
    ) -> pb.ListTrendingResponse:
        data = parse_request(
            v.TrendingQuery,
            target_type=v.TARGET_KINDS.get(request.target_type),
            limit=request.limit,
        )
        ranked = await popularity.trending(
            self._uows,
            current_principal(),
            data.target_type,
            data.limit or 20,
            self._settings.trending_half_life_hours,
        )
        return pb.ListTrendingResponse(popularity=[m.popularity_message(p) for p in ranked])
