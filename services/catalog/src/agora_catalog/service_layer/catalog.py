"""Use cases of the catalogue: taxonomy, items, the validation workflow, search."""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final, Literal

from pydantic import Field

from agora_catalog.adapters.mongo import (
    ITEM_VERSIONS,
    ITEMS,
    SKILLS,
    TENANT_SETTINGS,
    THEMES,
    now_ms,
    to_ms,
)
from agora_catalog.domain.inputs import ItemIn, ReviewIn, SearchIn, SkillIn, ThemeIn
from agora_catalog.domain.search import (
    SearchFilter,
    SearchRow,
    matching,
    query_terms,
    relevance_order,
)
from agora_catalog.domain.workflow import (
    Action,
    Actor,
    ItemFacts,
    ItemStatus,
    check_actor,
    may_review,
    next_status,
    reviewers_of,
)
from agora_catalog.service_layer.events import EventFactory, skill_levels
from agora_catalog.service_layer.ports import Stores
from agora_catalog.service_layer.search_index import ItemCache, SearchIndex
from agora_contracts.events.domains.catalog import (
    KnowledgeArchivedV1,
    KnowledgePublishedV1,
    SubmissionReviewedV1,
    SubmissionSubmittedV1,
)
from agora_core.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from agora_core.grpc.auth import Principal, Role
from agora_core.grpc.validation import PageCursor, decode_page_token, encode_page_token
from agora_core.messaging.events import OutgoingEvent
from agora_core.outbox import OutboxHint, OutboxNotifier, with_outbox
from agora_core.storage import Document, DocumentStore
from agora_core.text import sanitize_markdown

_DECISION_ACTION: Final = {
    "approved": Action.APPROVE,
    "changes_requested": Action.REQUEST_CHANGES,
    "rejected": Action.REJECT,
}
_SEARCH_HIDDEN: Final = {
    "popularity_seen": 0,
    "popularity_applied": 0,
    "outbox": 0,
    "answer_key": 0,
}
_LEGACY_SEARCH_FIELDS: Final = {"search_terms": "", "title_terms": "", "summary_terms": ""}
"""Per-item term arrays of the first search design; dropped when an item is next edited."""


def search_changed(update: Document) -> Document:
    """``update`` extended to mark the item's search row stale, in the same write."""
    combined = {op: dict(fields) for op, fields in update.items()}
    combined.setdefault("$inc", {})["search_rev"] = 1
    combined.setdefault("$set", {})["search_pending"] = True
    return combined


class SearchCursor(PageCursor):
    """Where the next search page starts; bound to the query it was issued for.

    Relevance pages are offsets into the ranking; recency and popularity pages are
    keysets (the last row's sort key and id), stable while items change.
    """

    query_hash: str = Field(max_length=64)
    sort: Literal["relevance", "recency", "popularity"] = "relevance"
    offset: int = Field(default=0, ge=0, le=1_000_000)
    after_key: int | None = None
    after_id: str | None = Field(default=None, max_length=128)


class QueueCursor(PageCursor):
    after_time: datetime
    after_id: str = Field(max_length=128)


class Catalog:
    """Taxonomy, items, workflow and search for every tenant (scoped per call)."""

    def __init__(
        self,
        db: Stores,
        events: EventFactory,
        notify: OutboxNotifier,
        *,
        index: SearchIndex | None = None,
        cached_items: int = 5000,
    ) -> None:
        self._db = db
        self._events = events
        self._notify = notify
        self.index = index or SearchIndex(db)
        self._cache = ItemCache(cached_items)

    def _items(self, tenant: str) -> DocumentStore:
        return self._db.repo(ITEMS, tenant)

    # --- taxonomy and settings -------------------------------------------------------

    async def upsert_theme(self, tenant: str, theme: ThemeIn) -> Document:
        """Create a theme under ``parent_id`` or rename it (its place in the tree is fixed)."""
        themes = self._db.repo(THEMES, tenant)
        existing = await themes.find_one({"theme_id": theme.theme_id})
        ancestors: list[str] = []
        if theme.parent_id:
            parent = await themes.find_one({"theme_id": theme.parent_id})
            if parent is None:
                raise InvalidArgument.single("parent_id", "unknown theme")
            ancestors = [*parent["ancestors"], theme.parent_id]
            if theme.theme_id in ancestors:
                raise InvalidArgument.single("parent_id", "a theme cannot be its own ancestor")
        if existing is not None and (existing.get("parent_id") or None) != theme.parent_id:
            raise InvalidArgument.single("parent_id", "a theme's parent cannot change")
        document = {
            "theme_id": theme.theme_id,
            "name": theme.name,
            "parent_id": theme.parent_id or "",
            "ancestors": ancestors,
        }
        await themes.update_one(
            {"_id": f"{tenant}:{theme.theme_id}"}, {"$set": document}, upsert=True
        )
        return document

    async def list_themes(self, tenant: str) -> list[Document]:
        themes = await self._db.repo(THEMES, tenant).find({}, limit=5000)
        return sorted(themes, key=lambda t: (len(t["ancestors"]), t["name"], t["theme_id"]))

    async def upsert_skill(self, tenant: str, skill: SkillIn) -> Document:
        """Create or replace a skill with its experts and trainers (who may review)."""
        document = {
            "skill_id": skill.skill_id,
            "name": skill.name,
            "expert_ids": list(dict.fromkeys(skill.expert_ids)),
            "trainer_ids": list(dict.fromkeys(skill.trainer_ids)),
            "reviewer_ids": list(dict.fromkeys([*skill.expert_ids, *skill.trainer_ids])),
        }
        await self._db.repo(SKILLS, tenant).update_one(
            {"_id": f"{tenant}:{skill.skill_id}"}, {"$set": document}, upsert=True
        )
        return document

    async def list_skills(self, tenant: str) -> list[Document]:
        return await self._db.repo(SKILLS, tenant).find({}, sort=[("skill_id", 1)], limit=5000)

    async def get_settings(self, tenant: str) -> Document:
        found = await self._db.repo(TENANT_SETTINGS, tenant).find_one({"_id": tenant})
        return {"informal_publishing_allowed": bool(found and found["informal_publishing_allowed"])}

    async def update_settings(self, tenant: str, *, informal_publishing_allowed: bool) -> Document:
        await self._db.repo(TENANT_SETTINGS, tenant).update_one(
            {"_id": tenant},
            {"$set": {"informal_publishing_allowed": informal_publishing_allowed}},
            upsert=True,
        )
        return await self.get_settings(tenant)

    # --- items -----------------------------------------------------------------------

    async def _content_fields(self, tenant: str, item: ItemIn) -> Document:
        """The stored form of an item's fields (taxonomy checked, text sanitised, indexed)."""
        themes = await self._db.repo(THEMES, tenant).find(
            {"theme_id": {"$in": item.theme_ids}}, limit=len(item.theme_ids) or 1
        )
        known_themes = {t["theme_id"]: t for t in themes}
        unknown = [t for t in item.theme_ids if t not in known_themes]
        if unknown:
            raise InvalidArgument.single("item.theme_ids", f"unknown themes: {', '.join(unknown)}")
        skill_ids = [s.skill_id for s in item.skills]
        if len(set(skill_ids)) != len(skill_ids):
            raise InvalidArgument.single("item.skills", "a skill may appear once")
        skills = await self._db.repo(SKILLS, tenant).find(
            {"skill_id": {"$in": skill_ids}}, limit=len(skill_ids) or 1
        )
        missing = sorted(set(skill_ids) - {s["skill_id"] for s in skills})
        if missing:
            raise InvalidArgument.single("item.skills", f"unknown skills: {', '.join(missing)}")
        scope: dict[str, None] = {}
        for theme_id in item.theme_ids:
            for ancestor in [*known_themes[theme_id]["ancestors"], theme_id]:
                scope.setdefault(ancestor, None)

        content = item.content.model_dump(mode="python")
        answer_key: dict[str, list[str]] | None = None
        if item.kind == "wiki":
            content["markdown"] = sanitize_markdown(content["markdown"])
        elif item.kind == "quiz":
            answer_key = {}
            for question in content["questions"]:
                correct = question.pop("correct_choice_ids")
                answer_key[question["question_id"]] = sorted(set(correct))
                question["multiple"] = len(answer_key[question["question_id"]]) > 1
        elif item.kind == "session":
            content["registered_ids"] = []
            content["seats_left"] = content["seats"]
            content["starts_at"] = to_ms(content["starts_at"])
            content["ends_at"] = to_ms(content["ends_at"])
        return {
            "type": item.kind,
            "title": item.title,
            "summary": item.summary,
            "language": item.language,
            "language_base": item.language.split("-")[0],
            "estimated_minutes": item.estimated_minutes,
            "theme_ids": item.theme_ids,
            "theme_scope": list(scope),
            "skills": [s.model_dump() for s in item.skills],
            "skill_ids": skill_ids,
            "space_id": item.space_id or "",
            "content": content,
            # Server-side only: never mapped to a response (see grpc_api._item).
            "answer_key": answer_key,
        }

    async def _save_version(self, tenant: str, document: Document, editor: str) -> None:
        await self._db.repo(ITEM_VERSIONS, tenant).update_one(
            {"_id": f"{tenant}:{document['_id']}:{document['version']}"},
            {
                "$set": {
                    "item_id": document["_id"],
                    "version": document["version"],
                    "title": document["title"],
                    "summary": document["summary"],
                    "content": document["content"],
                    "editor_id": editor,
                    "create_time": document["update_time"],
                }
            },
            upsert=True,
        )

    async def new_item_document(self, principal: Principal, item: ItemIn) -> Document:
        """The stored form of a new draft by the caller (checked, sanitised, indexed)."""
        now = now_ms()
        return {
            "_id": uuid.uuid4().hex,
            **await self._content_fields(principal.tenant_id, item),
            "author_id": principal.subject,
            "status": ItemStatus.DRAFT.value,
            "version": 1,
            "like_count": 0,
            "comment_count": 0,
            "popularity": 0,
            "popularity_seen": {},
            "reviewer_id": "",
            "review_comment": "",
            "validated": False,
            "create_time": now,
            "update_time": now,
            "publish_time": None,
            "sort_time": now,
            # Indexed once create_item's apply has run (see service_layer.search_index).
            "search_rev": 1,
            "search_pending": True,
        }

    async def create_item(self, principal: Principal, item: ItemIn) -> Document:
        """A new draft authored by the caller (version 1)."""
        document = await self.new_item_document(principal, item)
        await self._items(principal.tenant_id).insert_one(document)
        await self._save_version(principal.tenant_id, document, principal.subject)
        await self.index.apply(principal.tenant_id, document)
        return document

    async def update_item(self, principal: Principal, item_id: str, item: ItemIn) -> Document:
        """New content for a draft or an item sent back for changes: the next version."""
        tenant = principal.tenant_id
        current = await self._load(tenant, item_id)
        status = ItemStatus(current["status"])
        next_status(status, Action.EDIT)
        check_actor(Action.EDIT, await self._actor(principal, current), _facts(current))
        if item.kind != current["type"]:
            raise InvalidArgument.single("item.content", "an item's type cannot change")
        fields = await self._content_fields(tenant, item)
        now = now_ms()
        updated = await self._items(tenant).find_one_and_update(
            {"_id": item_id, "status": status.value, "version": current["version"]},
            search_changed(
                {
                    "$set": {**fields, "update_time": now, "sort_time": now},
                    "$inc": {"version": 1},
                    "$unset": _LEGACY_SEARCH_FIELDS,
                }
            ),
        )
        if updated is None:
            raise await self._changed_under_us(tenant, item_id)
        await self._save_version(tenant, updated, principal.subject)
        await self.index.apply(tenant, updated)
        return updated

    async def get_item(self, principal: Principal, item_id: str) -> Document:
        """The item if the caller may see it (unpublished: author, reviewers, admins)."""
        document = await self._load(principal.tenant_id, item_id)
        if document["status"] != ItemStatus.PUBLISHED.value:
            actor = await self._actor(principal, document)
            if not (
                principal.subject in (document["author_id"], document["reviewer_id"])
                or may_review(actor, _facts(document))
            ):
                # Unpublished content of others does not exist for this caller.
                raise NotFound("item", item_id)
        return document

    async def list_versions(self, principal: Principal, item_id: str) -> list[Document]:
        await self.get_item(principal, item_id)
        return await self._db.repo(ITEM_VERSIONS, principal.tenant_id).find(
            {"item_id": item_id}, sort=[("version", -1)], limit=500
        )

    # --- workflow --------------------------------------------------------------------

    async def _load(self, tenant: str, item_id: str) -> Document:
        document = await self._items(tenant).find_one({"_id": item_id})
        if document is None:
            raise NotFound("item", item_id)
        return document

    async def _reviewers(self, tenant: str, skill_ids: Sequence[str]) -> list[str]:
        skills = await self._db.repo(SKILLS, tenant).find(
            {"skill_id": {"$in": list(skill_ids)}}, limit=len(skill_ids) or 1
        )
        by_skill = {s["skill_id"]: s["reviewer_ids"] for s in skills}
        return reviewers_of(skill_ids, by_skill)

    async def _actor(self, principal: Principal, document: Document) -> Actor:
        reviews = False
        if document["skill_ids"] and Role.EXPERT in principal.roles:
            reviews = principal.subject in await self._reviewers(
                principal.tenant_id, document["skill_ids"]
            )
        return Actor(principal.subject, principal.roles, reviews)

    async def _changed_under_us(self, tenant: str, item_id: str) -> FailedPrecondition:
        latest = await self._load(tenant, item_id)
        return FailedPrecondition(
            f"item {item_id} changed concurrently; it is now {latest['status']}",
            current_state=str(latest["status"]),
        )

    async def _transition(
        self,
        principal: Principal,
        item_id: str,
        action: Action,
        fields: Callable[[Document, datetime], Document],
        events: Callable[[Document, datetime], list[OutgoingEvent]],
    ) -> Document:
        """Check state then actor, then apply the move and its events in one write."""
        tenant = principal.tenant_id
        current = await self._load(tenant, item_id)
        status = ItemStatus(current["status"])
        target = next_status(status, action)
        check_actor(action, await self._actor(principal, current), _facts(current))
        now = now_ms()
        update = {"$set": {"status": target.value, "update_time": now, **fields(current, now)}}
        updated = await self._items(tenant).find_one_and_update(
            {"_id": item_id, "status": status.value, "version": current["version"]},
            with_outbox(search_changed(update), events(current, now)),
        )
        if updated is None:
            raise await self._changed_under_us(tenant, item_id)
        self._notify(OutboxHint(ITEMS, item_id))
        await self.index.apply(tenant, updated)
        return updated

    def _published_event(
        self, tenant: str, document: Document, now: datetime, *, validated_by: str | None
    ) -> OutgoingEvent:
        return self._events.create(
            KnowledgePublishedV1(
                item_id=document["_id"],
                item_type=document["type"],
                title=document["title"],
                summary=document["summary"],
                author_id=document["author_id"],
                version=document["version"],
                validated=validated_by is not None,
                validated_by=validated_by,
                space_id=document["space_id"] or None,
                language=document["language"],
                estimated_minutes=document["estimated_minutes"],
                skills=skill_levels(document["skills"]),
                themes=tuple(document["theme_ids"]),
                published_at=now,
            ),
            subject=document["_id"],
            tenant_id=tenant,
            actor_id=validated_by or document["author_id"],
        )

    async def submit(self, principal: Principal, item_id: str) -> tuple[Document, list[str]]:
        """Send to expert validation; the event names who can review it."""
        tenant = principal.tenant_id
        current = await self._load(tenant, item_id)
        reviewers = [
            r
            for r in await self._reviewers(tenant, current["skill_ids"])
            if r != current["author_id"]
        ]

        def submitted(document: Document, now: datetime) -> list[OutgoingEvent]:
            return [
                self._events.create(
                    SubmissionSubmittedV1(
                        item_id=document["_id"],
                        author_id=document["author_id"],
                        item_type=document["type"],
                        title=document["title"],
                        version=document["version"],
                        skills=skill_levels(document["skills"]),
                        reviewer_ids=tuple(reviewers),
                        submitted_at=now,
                    ),
                    subject=document["_id"],
                    tenant_id=tenant,
                    actor_id=principal.subject,
                )
            ]

        document = await self._transition(
            principal,
            item_id,
            Action.SUBMIT,
            lambda _doc, now: {"reviewer_id": "", "sort_time": now},
            submitted,
        )
        return document, reviewers

    async def publish_informally(
        self, principal: Principal, item_id: str, space_id: str
    ) -> Document:
        """Share a draft in a community space without validation, if the tenant allows."""
        settings = await self.get_settings(principal.tenant_id)
        if not settings["informal_publishing_allowed"]:
            raise FailedPrecondition(
                "informal publishing is not allowed in this tenant",
                current_state="informal_publishing_disabled",
            )
        return await self._transition(
            principal,
            item_id,
            Action.PUBLISH_INFORMALLY,
            lambda _doc, now: {
                "space_id": space_id,
                "publish_time": now,
                "sort_time": now,
                "validated": False,
            },
            lambda doc, now: [
                self._published_event(
                    principal.tenant_id, {**doc, "space_id": space_id}, now, validated_by=None
                )
            ],
        )

    async def claim(self, principal: Principal, item_id: str) -> Document:
        """Take a submission from the queue; only this reviewer may then decide."""
        return await self._transition(
            principal,
            item_id,
            Action.CLAIM,
            lambda _doc, _now: {"reviewer_id": principal.subject},
            lambda _doc, _now: [],
        )

    async def review(self, principal: Principal, review: ReviewIn) -> Document:
        """Approve (published), request changes (back to the author) or reject."""
        tenant = principal.tenant_id
        action = _DECISION_ACTION[review.decision]

        def fields(_doc: Document, now: datetime) -> Document:
            changes: Document = {"review_comment": review.comment, "sort_time": now}
            if action is Action.APPROVE:
                changes.update(publish_time=now, validated=True)
            return changes

        def events(document: Document, now: datetime) -> list[OutgoingEvent]:
            reviewed = self._events.create(
                SubmissionReviewedV1(
                    item_id=document["_id"],
                    author_id=document["author_id"],
                    reviewer_id=principal.subject,
                    title=document["title"],
                    version=document["version"],
                    decision=review.decision,
                    comment=review.comment,
                    skills=skill_levels(document["skills"]),
                    reviewed_at=now,
                ),
                subject=document["_id"],
                tenant_id=tenant,
                actor_id=principal.subject,
            )
            if action is not Action.APPROVE:
                return [reviewed]
            return [
                reviewed,
                self._published_event(tenant, document, now, validated_by=principal.subject),
            ]

        return await self._transition(principal, review.item_id, action, fields, events)

    async def archive(self, principal: Principal, item_id: str, reason: str) -> Document:
        """Withdraw a published item."""
        tenant = principal.tenant_id
        return await self._transition(
            principal,
            item_id,
            Action.ARCHIVE,
            lambda _doc, _now: {},
            lambda doc, now: [
                self._events.create(
                    KnowledgeArchivedV1(
                        item_id=doc["_id"],
                        author_id=doc["author_id"],
                        title=doc["title"],
                        reason=reason,
                        archived_at=now,
                    ),
                    subject=doc["_id"],
                    tenant_id=tenant,
                    actor_id=principal.subject,
                )
            ],
        )

    async def review_queue(
        self, principal: Principal, token: str, size: int
    ) -> tuple[list[Document], str]:
        """Submissions the caller may take, oldest first (admins: every submission)."""
        tenant = principal.tenant_id
        query: Document = {"status": ItemStatus.SUBMITTED.value}
        if Role.ADMIN not in principal.roles:
            skills = await self._db.repo(SKILLS, tenant).find(
                {"reviewer_ids": principal.subject}, projection={"skill_id": 1}, limit=5000
            )
            query["skill_ids"] = {"$in": [s["skill_id"] for s in skills]}
            query["author_id"] = {"$ne": principal.subject}
        cursor = decode_page_token(token, QueueCursor)
        if cursor is not None:
            query["$or"] = [
                {"sort_time": {"$gt": cursor.after_time}},
                {"sort_time": cursor.after_time, "_id": {"$gt": cursor.after_id}},
            ]
        found = await self._items(tenant).find(
            query, sort=[("sort_time", 1), ("_id", 1)], limit=size + 1, projection=_SEARCH_HIDDEN
        )
        next_token = ""
        if len(found) > size:
            found = found[:size]
            next_token = encode_page_token(
                QueueCursor(after_time=found[-1]["sort_time"], after_id=found[-1]["_id"])
            )
        return found, next_token

    # --- search ----------------------------------------------------------------------

    async def search(
        self, principal: Principal, search: SearchIn, token: str, size: int
    ) -> tuple[list[Document], str]:
        """Filtered search sorted by relevance, recency or popularity, with page tokens.

        Evaluated over the tenant's search rows in memory (``search_index``); only the
        page's items are then read, by ``_id``.
        """
        tenant = principal.tenant_id
        query_hash = hashlib.sha256(search.model_dump_json().encode()).hexdigest()[:32]
        cursor = decode_page_token(token, SearchCursor)
        if cursor is not None and cursor.query_hash != query_hash:
            raise InvalidArgument.single("page_token", "the token belongs to another query")
        try:
            status = ItemStatus(search.status)
        except ValueError:
            raise InvalidArgument.single("status", "unknown status") from None
        published = status is ItemStatus.PUBLISHED
        where = SearchFilter(
            status=status.value,
            space_id=search.space_id if published else None,
            author_id=None if published or Role.ADMIN in principal.roles else principal.subject,
            types=frozenset(search.types),
            theme_id=search.theme_id,
            skill_id=search.skill_id,
            language=search.language,
            max_minutes=search.max_minutes,
        )
        terms = query_terms(search.query)
        sort = search.sort or ("relevance" if terms else "recency")
        if sort == "relevance" and not terms:
            sort = "recency"
        if cursor is not None and cursor.sort != sort:
            raise InvalidArgument.single("page_token", "the token belongs to another sort")
        found = matching(await self.index.row_sets(tenant), where, terms)
        next_cursor: SearchCursor | None = None
        if sort == "relevance":
            offset = cursor.offset if cursor is not None else 0
            # Only the rows up to this page are ranked, not every match.
            ranked = heapq.nsmallest(offset + size, found, key=relevance_order)
            page = [row for row, _ in ranked[offset:]]
            if offset + size < len(found):
                next_cursor = SearchCursor(query_hash=query_hash, offset=offset + size)
        else:
            page, last = _keyset_page(
                [row for row, _ in found], sort, cursor, size, query_hash=query_hash
            )
            next_cursor = last
        documents = await self._page_documents(tenant, page)
        return documents, encode_page_token(next_cursor) if next_cursor is not None else ""

    async def _page_documents(self, tenant: str, rows: list[SearchRow]) -> list[Document]:
        """The page's items in the page's order: cached at the row's revision, or read
        by ``_id`` (index-served everywhere)."""
        cached = {row.item_id: self._cache.get(tenant, row.item_id, row.rev) for row in rows}
        missing = [item_id for item_id, document in cached.items() if document is None]
        items = self._items(tenant)
        found = await asyncio.gather(
            *(items.find({"_id": i}, projection=_SEARCH_HIDDEN, limit=1) for i in missing)
        )
        for documents in found:
            if documents:
                self._cache.put(tenant, documents[0])
                cached[documents[0]["_id"]] = documents[0]
        return [document for document in cached.values() if document is not None]

    async def register_for_session(self, principal: Principal, item_id: str) -> Document:
        """Take a seat in a published session (idempotent; refused when it is full)."""
        session = await self._session(principal, item_id)
        if principal.subject in session["content"]["registered_ids"]:
            return session
        # One conditional write: a seat is left and the caller holds none yet.
        updated = await self._items(principal.tenant_id).find_one_and_update(
            {
                "_id": item_id,
                "content.registered_ids": {"$ne": principal.subject},
                "content.seats_left": {"$gt": 0},
            },
            search_changed(
                {
                    "$push": {"content.registered_ids": principal.subject},
                    "$inc": {"content.seats_left": -1},
                }
            ),
        )
        if updated is not None:
            await self.index.apply(principal.tenant_id, updated)
            return updated
        latest = await self._session(principal, item_id)
        if principal.subject in latest["content"]["registered_ids"]:
            return latest
        raise FailedPrecondition("the session is full", current_state="full")

    async def cancel_session_registration(self, principal: Principal, item_id: str) -> Document:
        """Give the caller's seat back (a no-op when they hold none)."""
        await self._session(principal, item_id)
        updated = await self._items(principal.tenant_id).find_one_and_update(
            {"_id": item_id, "content.registered_ids": principal.subject},
            search_changed(
                {
                    # $pullAll of the exact value: FerretDB ignores conditional $pull.
                    "$pullAll": {"content.registered_ids": [principal.subject]},
                    "$inc": {"content.seats_left": 1},
                }
            ),
        )
        if updated is None:
            return await self._load(principal.tenant_id, item_id)
        await self.index.apply(principal.tenant_id, updated)
        return updated

    async def _session(self, principal: Principal, item_id: str) -> Document:
        document = await self.require_visible(principal, item_id)
        if document["type"] != "session":
            raise FailedPrecondition(
                f"item {item_id} is a {document['type']}, not a session",
                current_state=str(document["status"]),
            )
        return document

    async def require_visible(self, principal: Principal, item_id: str) -> Document:
        """A published item (what learners may start, complete or take)."""
        document = await self._load(principal.tenant_id, item_id)
        if document["status"] != ItemStatus.PUBLISHED.value:
            raise FailedPrecondition(
                f"item {item_id} is {document['status']}, not published",
                current_state=str(document["status"]),
            )
        return document


def _sort_key(row: SearchRow, sort: str) -> int:
    return row.sort_time if sort == "recency" else row.popularity


def _keyset_page(
    rows: list[SearchRow],
    sort: str,
    cursor: SearchCursor | None,
    size: int,
    *,
    query_hash: str,
) -> tuple[list[SearchRow], SearchCursor | None]:
    """Newest (or most popular) first, ties by id descending, after the cursor's row."""
    if cursor is not None:
        if cursor.after_key is None or cursor.after_id is None:
            raise InvalidArgument.single("page_token", "the token belongs to another sort")
        after = (cursor.after_key, cursor.after_id)
        rows = [row for row in rows if (_sort_key(row, sort), row.item_id) < after]
    page = heapq.nlargest(size + 1, rows, key=lambda row: (_sort_key(row, sort), row.item_id))
    if len(page) <= size:
        return page, None
    last = page[size - 1]
    return page[:size], SearchCursor(
        query_hash=query_hash, sort=sort, after_key=_sort_key(last, sort), after_id=last.item_id
    )


def _facts(document: Document) -> ItemFacts:
    return ItemFacts(author_id=document["author_id"], reviewer_id=document["reviewer_id"] or None)


def ensure_admin(principal: Principal) -> None:
    """Guard for rules finer than the method policy."""
    if Role.ADMIN not in principal.roles:
        raise PermissionDenied("admin role required")
