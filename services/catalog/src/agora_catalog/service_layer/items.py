"""Use cases of items: writing drafts (each edit a new version) and reading them."""

from __future__ import annotations

import dataclasses
import uuid

from agora_catalog.domain.inputs import ItemIn
from agora_catalog.domain.model import Item, ItemFields, ItemVersion, SkillLevel
from agora_catalog.domain.workflow import Action, ItemStatus, check_actor, next_status
from agora_catalog.service_layer.access import actor_of, load_item, visible_item
from agora_catalog.service_layer.events import utc_now
from agora_catalog.service_layer.ports import TaxonomyRepository, UnitOfWorkFactory
from agora_core.errors import InvalidArgument
from agora_core.idempotency import CreateRequest
from agora_core.identity import Principal
from agora_core.text import sanitize_markdown


async def item_fields(taxonomy: TaxonomyRepository, item: ItemIn) -> ItemFields:
    """The stored form of an item's fields (taxonomy checked, text sanitised)."""
    known_themes = await taxonomy.themes_by_id(item.theme_ids)
    unknown = [t for t in item.theme_ids if t not in known_themes]
    if unknown:
        raise InvalidArgument.single("item.theme_ids", f"unknown themes: {', '.join(unknown)}")
    skill_ids = [s.skill_id for s in item.skills]
    if len(set(skill_ids)) != len(skill_ids):
        raise InvalidArgument.single("item.skills", "a skill may appear once")
    missing = sorted(set(skill_ids) - set(await taxonomy.skills_by_id(skill_ids)))
    if missing:
        raise InvalidArgument.single("item.skills", f"unknown skills: {', '.join(missing)}")
    scope: dict[str, None] = {}
    for theme_id in item.theme_ids:
        for ancestor in [*known_themes[theme_id].ancestors, theme_id]:
            scope.setdefault(ancestor, None)

    content = item.content.model_dump(mode="json")
    answer_key: dict[str, list[str]] | None = None
    seats: int | None = None
    if item.kind == "wiki":
        content["markdown"] = sanitize_markdown(content["markdown"])
    elif item.kind == "quiz":
        answer_key = {}
        for question in content["questions"]:
            correct = question.pop("correct_choice_ids")
            answer_key[question["question_id"]] = sorted(set(correct))
            question["multiple"] = len(answer_key[question["question_id"]]) > 1
    elif item.kind == "session":
        seats = int(content["seats"])
    return ItemFields(
        type=item.kind,
        title=item.title,
        summary=item.summary,
        language=item.language,
        estimated_minutes=item.estimated_minutes,
        theme_ids=tuple(item.theme_ids),
        theme_scope=tuple(scope),
        skills=tuple(SkillLevel(s.skill_id, s.level) for s in item.skills),
        space_id=item.space_id or "",
        content=content,
        answer_key=answer_key,
        seats=seats,
    )


class Items:
    """Drafts and their versions."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def create_item(
        self, principal: Principal, item: ItemIn, request: CreateRequest | None = None
    ) -> Item:
        """A new draft authored by the caller (version 1). With ``request`` (a request
        id), a repeat answers with the item the first call created."""
        async with self._uow(principal.tenant_id) as uow:
            if request is not None:
                created_before = await uow.request_ids.created_by(request)
                if created_before is not None:
                    return await load_item(uow, created_before)
            fields = await item_fields(uow.taxonomy, item)
            now = utc_now()
            created = Item(
                item_id=uuid.uuid4().hex,
                fields=fields,
                author_id=principal.subject,
                status=ItemStatus.DRAFT.value,
                version=1,
                like_count=0,
                comment_count=0,
                reviewer_id="",
                review_comment="",
                validated=False,
                create_time=now,
                update_time=now,
                publish_time=None,
                sort_time=now,
                seats_left=fields.seats,
            )
            await uow.items.add(created)
            await uow.items.add_version(created, principal.subject)
            if request is not None:
                await uow.request_ids.remember(request, created.item_id)
            return created

    async def update_item(self, principal: Principal, item_id: str, item: ItemIn) -> Item:
        """New content for a draft or an item sent back for changes: the next version."""
        async with self._uow(principal.tenant_id) as uow:
            current = await load_item(uow, item_id, for_update=True)
            next_status(ItemStatus(current.status), Action.EDIT)
            check_actor(Action.EDIT, await actor_of(uow, principal, current), current.facts)
            if item.kind != current.fields.type:
                raise InvalidArgument.single("item.content", "an item's type cannot change")
            fields = await item_fields(uow.taxonomy, item)
            now = utc_now()
            updated = dataclasses.replace(
                current,
                fields=fields,
                version=current.version + 1,
                update_time=now,
                sort_time=now,
                seats_left=fields.seats,
            )
            await uow.items.save(updated)
            await uow.items.add_version(updated, principal.subject)
            return updated

    async def get_item(self, principal: Principal, item_id: str) -> Item:
        async with self._uow(principal.tenant_id) as uow:
            return await visible_item(uow, principal, item_id)

    async def list_versions(self, principal: Principal, item_id: str) -> list[ItemVersion]:
        async with self._uow(principal.tenant_id) as uow:
            await visible_item(uow, principal, item_id)
            return await uow.items.versions(item_id)
