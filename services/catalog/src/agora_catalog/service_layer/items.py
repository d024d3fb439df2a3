"""Use cases of items: writing drafts (each edit a new version) and reading them."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple, TypeVar

from agora_catalog.domain.inputs import Content, ItemIn, ItemPatch
from agora_catalog.domain.model import Item, ItemFields, ItemVersion, SkillLevel
from agora_catalog.domain.workflow import Action, ItemStatus, check_actor, next_status
from agora_catalog.service_layer.access import actor_of, load_item, visible_item
from agora_catalog.service_layer.events import utc_now
from agora_catalog.service_layer.ports import TaxonomyRepository, UnitOfWork, UnitOfWorkFactory
from agora_core.errors import InvalidArgument
from agora_core.idempotency import CreateRequest
from agora_core.identity import Principal
from agora_core.text import sanitize_markdown

T = TypeVar("T", str, int)


class StoredContent(NamedTuple):
    content: dict[str, Any]
    answer_key: dict[str, list[str]] | None
    seats: int | None


async def _theme_scope(
    taxonomy: TaxonomyRepository, theme_ids: Sequence[str], skill_ids: Sequence[str]
) -> tuple[str, ...]:
    """The themes and their ancestors, once the themes and skills are known to exist."""
    known_themes = await taxonomy.themes_by_id(list(theme_ids))
    unknown = [t for t in theme_ids if t not in known_themes]
    if unknown:
        raise InvalidArgument.single("item.theme_ids", f"unknown themes: {', '.join(unknown)}")
    if len(set(skill_ids)) != len(skill_ids):
        raise InvalidArgument.single("item.skills", "a skill may appear once")
    missing = sorted(set(skill_ids) - set(await taxonomy.skills_by_id(list(skill_ids))))
    if missing:
        raise InvalidArgument.single("item.skills", f"unknown skills: {', '.join(missing)}")
    scope: dict[str, None] = {}
    for theme_id in theme_ids:
        for ancestor in [*known_themes[theme_id].ancestors, theme_id]:
            scope.setdefault(ancestor, None)
    return tuple(scope)


def _stored_content(kind: str, value: Content) -> StoredContent:
    """Content as stored: sanitised Markdown, a quiz's answer key apart, a session's seats."""
    content = value.model_dump(mode="json")
    answer_key: dict[str, list[str]] | None = None
    seats: int | None = None
    if kind == "wiki":
        content["markdown"] = sanitize_markdown(content["markdown"])
    elif kind == "quiz":
        answer_key = {}
        for question in content["questions"]:
            correct = question.pop("correct_choice_ids")
            answer_key[question["question_id"]] = sorted(set(correct))
            question["multiple"] = len(answer_key[question["question_id"]]) > 1
    elif kind == "session":
        seats = int(content["seats"])
    return StoredContent(content, answer_key, seats)


async def item_fields(taxonomy: TaxonomyRepository, item: ItemIn) -> ItemFields:
    """The stored form of an item's fields (taxonomy checked, text sanitised)."""
    skill_ids = [s.skill_id for s in item.skills]
    scope = await _theme_scope(taxonomy, item.theme_ids, skill_ids)
    stored = _stored_content(item.kind, item.content)
    return ItemFields(
        type=item.kind,
        title=item.title,
        summary=item.summary,
        language=item.language,
        estimated_minutes=item.estimated_minutes,
        theme_ids=tuple(item.theme_ids),
        theme_scope=scope,
        skills=tuple(SkillLevel(s.skill_id, s.level) for s in item.skills),
        space_id=item.space_id or "",
        content=stored.content,
        answer_key=stored.answer_key,
        seats=stored.seats,
    )


async def patched_fields(
    taxonomy: TaxonomyRepository, current: ItemFields, patch: ItemPatch
) -> ItemFields:
    """``current`` with the fields ``patch`` names replaced (an update mask, AIP-134)."""
    named = patch.model_fields_set
    kind = patch.content_kind
    if kind is not None and kind != current.type:
        raise InvalidArgument.single("item.content", "an item's type cannot change")
    theme_ids = tuple(patch.theme_ids or ()) if "theme_ids" in named else current.theme_ids
    skills = (
        tuple(SkillLevel(s.skill_id, s.level) for s in patch.skills or ())
        if "skills" in named
        else current.skills
    )
    scope = current.theme_scope
    if {"theme_ids", "skills"} & named:
        scope = await _theme_scope(taxonomy, theme_ids, [s.skill_id for s in skills])
    fields = dataclasses.replace(
        current,
        title=_named(named, "title", patch.title, current.title),
        summary=_named(named, "summary", patch.summary, current.summary),
        language=_named(named, "language", patch.language, current.language),
        estimated_minutes=_named(
            named, "estimated_minutes", patch.estimated_minutes, current.estimated_minutes
        ),
        space_id=_named(named, "space_id", patch.space_id, current.space_id),
        theme_ids=theme_ids,
        theme_scope=scope,
        skills=skills,
    )
    if kind is None:
        return fields
    stored = _stored_content(kind, getattr(patch, kind))
    return dataclasses.replace(
        fields, content=stored.content, answer_key=stored.answer_key, seats=stored.seats
    )


def _named(named: set[str], name: str, value: T | None, stored: T) -> T:
    """What a patch stores at ``name``: the stored value when the mask does not name
    it; otherwise the patch's value, an empty one clearing the field."""
    if name not in named:
        return stored
    if value is None:
        return type(stored)()
    return value


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
            current = await _editable(uow, principal, item_id)
            if item.kind != current.fields.type:
                raise InvalidArgument.single("item.content", "an item's type cannot change")
            fields = await item_fields(uow.taxonomy, item)
            return await _next_version(uow, principal, current, fields)

    async def patch_item(self, principal: Principal, item_id: str, patch: ItemPatch) -> Item:
        """The fields an update mask names changed, the others kept: the next version."""
        async with self._uow(principal.tenant_id) as uow:
            current = await _editable(uow, principal, item_id)
            fields = await patched_fields(uow.taxonomy, current.fields, patch)
            return await _next_version(uow, principal, current, fields)

    async def get_item(self, principal: Principal, item_id: str) -> Item:
        async with self._uow(principal.tenant_id) as uow:
            return await visible_item(uow, principal, item_id)

    async def list_versions(self, principal: Principal, item_id: str) -> list[ItemVersion]:
        async with self._uow(principal.tenant_id) as uow:
            await visible_item(uow, principal, item_id)
            return await uow.items.versions(item_id)


async def _editable(uow: UnitOfWork, principal: Principal, item_id: str) -> Item:
    """The item, locked, once the caller may edit it in its current state."""
    current = await load_item(uow, item_id, for_update=True)
    next_status(ItemStatus(current.status), Action.EDIT)
    check_actor(Action.EDIT, await actor_of(uow, principal, current), current.facts)
    return current


async def _next_version(
    uow: UnitOfWork, principal: Principal, current: Item, fields: ItemFields
) -> Item:
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
