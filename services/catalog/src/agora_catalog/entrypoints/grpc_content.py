"""CatalogService RPCs of the catalogue itself: taxonomy, items, review, search,
sessions. Each translates protobuf to one use case call and its result back."""

from __future__ import annotations

from typing_extensions import override

from agora.catalog.v1 import catalog_pb2 as pb
from agora.catalog.v1 import catalog_pb2_grpc
from agora_catalog.domain.inputs import (
    ItemCommand,
    ItemPatchCommand,
    ReviewIn,
    SearchIn,
    SkillIn,
    ThemeIn,
)
from agora_catalog.entrypoints import grpc_messages as m
from agora_catalog.service_layer.use_cases import UseCases
from agora_core.errors import InvalidArgument
from agora_core.grpc.aip import create_request, not_clearable, update_paths
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.validation import parse_request
from agora_core.pagination import page_size


class ContentRpcs(catalog_pb2_grpc.CatalogServiceServicer):
    """The catalogue's RPCs over the use cases."""

    def __init__(self, use_cases: UseCases) -> None:
        self._u = use_cases

    @override
    async def UpsertTheme(
        self, request: pb.UpsertThemeRequest, context: Context
    ) -> pb.UpsertThemeResponse:
        theme = parse_request(
            ThemeIn,
            theme_id=request.theme_id,
            name=request.name,
            parent_id=request.parent_id or None,
        )
        saved = await self._u.taxonomy.upsert_theme(current_principal().tenant_id, theme)
        return pb.UpsertThemeResponse(theme=m.theme_message(saved))

    @override
    async def ListThemes(
        self, request: pb.ListThemesRequest, context: Context
    ) -> pb.ListThemesResponse:
        themes = await self._u.taxonomy.list_themes(current_principal().tenant_id)
        return pb.ListThemesResponse(themes=[m.theme_message(t) for t in themes])

    @override
    async def UpsertSkill(
        self, request: pb.UpsertSkillRequest, context: Context
    ) -> pb.UpsertSkillResponse:
        skill = parse_request(
            SkillIn,
            skill_id=request.skill_id,
            name=request.name,
            expert_ids=list(request.expert_ids),
            trainer_ids=list(request.trainer_ids),
        )
        saved = await self._u.taxonomy.upsert_skill(current_principal().tenant_id, skill)
        return pb.UpsertSkillResponse(skill=m.skill_message(saved))

    @override
    async def ListSkills(
        self, request: pb.ListSkillsRequest, context: Context
    ) -> pb.ListSkillsResponse:
        skills = await self._u.taxonomy.list_skills(current_principal().tenant_id)
        return pb.ListSkillsResponse(skills=[m.skill_message(s) for s in skills])

    @override
    async def GetTenantSettings(
        self, request: pb.GetTenantSettingsRequest, context: Context
    ) -> pb.GetTenantSettingsResponse:
        allowed = await self._u.taxonomy.informal_publishing_allowed(current_principal().tenant_id)
        settings = pb.TenantSettings(informal_publishing_allowed=allowed)
        return pb.GetTenantSettingsResponse(settings=settings)

    @override
    async def UpdateTenantSettings(
        self, request: pb.UpdateTenantSettingsRequest, context: Context
    ) -> pb.UpdateTenantSettingsResponse:
        # One setting: a valid mask names it (or "*"), so it is always set.
        update_paths(request.update_mask, m.SETTINGS_FIELDS)
        allowed = await self._u.taxonomy.allow_informal_publishing(
            current_principal().tenant_id, request.settings.informal_publishing_allowed
        )
        settings = pb.TenantSettings(informal_publishing_allowed=allowed)
        return pb.UpdateTenantSettingsResponse(settings=settings)

    @override
    async def CreateItem(
        self, request: pb.CreateItemRequest, context: Context
    ) -> pb.CreateItemResponse:
        command = parse_request(ItemCommand, item=m.draft_fields(request.item))
        item = await self._u.items.create_item(
            current_principal(), command.item, create_request("CreateItem", request)
        )
        return pb.CreateItemResponse(item=m.item_message(item))

    @override
    async def UpdateItem(
        self, request: pb.UpdateItemRequest, context: Context
    ) -> pb.UpdateItemResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        paths = update_paths(request.update_mask, m.ITEM_FIELDS)
        if paths is None:
            command = parse_request(ItemCommand, item=m.draft_fields(request.item))
            item = await self._u.items.update_item(current_principal(), item_id, command.item)
        else:
            draft = request.item
            not_clearable(paths, title=draft.title, language=draft.language)
            patch = parse_request(ItemPatchCommand, item=m.draft_patch(draft, paths))
            item = await self._u.items.patch_item(current_principal(), item_id, patch.item)
        return pb.UpdateItemResponse(item=m.item_message(item))

    @override
    async def GetItem(self, request: pb.GetItemRequest, context: Context) -> pb.GetItemResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        item = await self._u.items.get_item(current_principal(), item_id)
        return pb.GetItemResponse(item=m.item_message(item))

    @override
    async def ListItemVersions(
        self, request: pb.ListItemVersionsRequest, context: Context
    ) -> pb.ListItemVersionsResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        versions = await self._u.items.list_versions(current_principal(), item_id)
        return pb.ListItemVersionsResponse(versions=[m.version_message(v) for v in versions])

    @override
    async def SearchItems(
        self, request: pb.SearchItemsRequest, context: Context
    ) -> pb.SearchItemsResponse:
        search = parse_request(SearchIn, **m.search_input(request))
        page = await self._u.search.search(
            current_principal(), search, request.page_token, page_size(request.page_size)
        )
        return pb.SearchItemsResponse(
            items=[m.item_message(i) for i in page.items], next_page_token=page.next_page_token
        )

    @override
    async def SubmitItem(
        self, request: pb.SubmitItemRequest, context: Context
    ) -> pb.SubmitItemResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        item, reviewers = await self._u.review.submit(current_principal(), item_id)
        return pb.SubmitItemResponse(item=m.item_message(item), reviewer_ids=reviewers)

    @override
    async def PublishInformally(
        self, request: pb.PublishInformallyRequest, context: Context
    ) -> pb.PublishInformallyResponse:
        item = await self._u.review.publish_informally(
            current_principal(),
            m.checked_id(request.item_id, "item_id"),
            m.checked_id(request.space_id, "space_id"),
        )
        return pb.PublishInformallyResponse(item=m.item_message(item))

    @override
    async def ListReviewQueue(
        self, request: pb.ListReviewQueueRequest, context: Context
    ) -> pb.ListReviewQueueResponse:
        page = await self._u.review.review_queue(
            current_principal(), request.page_token, page_size(request.page_size)
        )
        return pb.ListReviewQueueResponse(
            items=[m.item_message(i) for i in page.items], next_page_token=page.next_page_token
        )

    @override
    async def ClaimReview(
        self, request: pb.ClaimReviewRequest, context: Context
    ) -> pb.ClaimReviewResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        item = await self._u.review.claim(current_principal(), item_id)
        return pb.ClaimReviewResponse(item=m.item_message(item))

    @override
    async def ReviewItem(
        self, request: pb.ReviewItemRequest, context: Context
    ) -> pb.ReviewItemResponse:
        if request.decision not in m.DECISIONS:
            raise InvalidArgument.single(
                "decision", "must be approved, changes requested or rejected"
            )
        review = parse_request(
            ReviewIn,
            item_id=request.item_id,
            decision=m.DECISIONS[request.decision],
            comment=request.comment,
        )
        item = await self._u.review.review(current_principal(), review)
        return pb.ReviewItemResponse(item=m.item_message(item))

    @override
    async def ArchiveItem(
        self, request: pb.ArchiveItemRequest, context: Context
    ) -> pb.ArchiveItemResponse:
        if len(request.reason) > 1000:
            raise InvalidArgument.single("reason", "at most 1000 characters")
        item_id = m.checked_id(request.item_id, "item_id")
        reason = m.checked_text(request.reason, "reason")
        item = await self._u.review.archive(current_principal(), item_id, reason)
        return pb.ArchiveItemResponse(item=m.item_message(item))

    @override
    async def RegisterForSession(
        self, request: pb.RegisterForSessionRequest, context: Context
    ) -> pb.RegisterForSessionResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        item = await self._u.sessions.register(current_principal(), item_id)
        return pb.RegisterForSessionResponse(item=m.item_message(item))

    @override
    async def CancelSessionRegistration(
        self, request: pb.CancelSessionRegistrationRequest, context: Context
    ) -> pb.CancelSessionRegistrationResponse:
        item_id = m.checked_id(request.item_id, "item_id")
        item = await self._u.sessions.cancel(current_principal(), item_id)
        return pb.CancelSessionRegistrationResponse(item=m.item_message(item))
