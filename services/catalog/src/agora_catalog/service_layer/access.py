"""Rules several use cases share: finding an item, who may see it, who reviews it."""

from __future__ import annotations

from collections.abc import Sequence

from agora_catalog.domain.model import Item
from agora_catalog.domain.workflow import Actor, ItemStatus, may_review, reviewers_of
from agora_catalog.service_layer.ports import UnitOfWork
from agora_core.errors import FailedPrecondition, NotFound
from agora_core.identity import Principal, Role


async def load_item(uow: UnitOfWork, item_id: str, *, for_update: bool = False) -> Item:
    item = await uow.items.get(item_id, for_update=for_update)
    if item is None:
        raise NotFound("item", item_id)
    return item


async def reviewers(uow: UnitOfWork, skill_ids: Sequence[str]) -> list[str]:
    """Who may review content of ``skill_ids`` (their experts and trainers)."""
    skills = await uow.taxonomy.skills_by_id(skill_ids)
    return reviewers_of(skill_ids, {s: list(k.reviewer_ids) for s, k in skills.items()})


async def actor_of(uow: UnitOfWork, principal: Principal, item: Item) -> Actor:
    reviews = False
    if item.fields.skill_ids and Role.EXPERT in principal.roles:
        reviews = principal.subject in await reviewers(uow, item.fields.skill_ids)
    return Actor(principal.subject, principal.roles, reviews)


async def visible_item(uow: UnitOfWork, principal: Principal, item_id: str) -> Item:
    """The item if the caller may see it (unpublished: author, reviewers, admins)."""
    item = await load_item(uow, item_id)
    if item.status != ItemStatus.PUBLISHED.value:
        actor = await actor_of(uow, principal, item)
        if not (
            principal.subject in (item.author_id, item.reviewer_id) or may_review(actor, item.facts)
        ):
            # Unpublished content of others does not exist for this caller.
            raise NotFound("item", item_id)
    return item


async def published_item(uow: UnitOfWork, item_id: str) -> Item:
    """A published item (what learners may start, complete or take)."""
    item = await load_item(uow, item_id)
    if item.status != ItemStatus.PUBLISHED.value:
        raise FailedPrecondition(
            f"item {item_id} is {item.status}, not published", current_state=item.status
        )
    return item
