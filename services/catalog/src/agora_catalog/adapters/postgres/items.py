"""Items and their versions on PostgreSQL (the search vector is written with the item)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from agora_catalog.adapters.postgres.rows import Row, execute, fetch_all, fetch_one
from agora_catalog.domain.model import Item, ItemFields, ItemVersion, SkillLevel
from agora_catalog.domain.search import search_config, searchable_text

ITEM_COLUMNS: Final = (
    "item_id, type, status, title, summary, language, estimated_minutes, theme_ids, "
    "theme_scope, skill_ids, skill_levels, space_id, content, answer_key, seats_left, "
    "registered_ids, author_id, version, like_count, comment_count, popularity, "
    "reviewer_id, review_comment, validated, create_time, update_time, publish_time, "
    "sort_time"
)
_VECTOR: Final = (
    "setweight(to_tsvector(%(config)s::regconfig, %(title)s), 'A') || "
    "setweight(to_tsvector(%(config)s::regconfig, %(summary)s), 'B') || "
    "setweight(to_tsvector(%(config)s::regconfig, %(body)s), 'C')"
)
_RANK_VECTOR: Final = (
    "setweight(to_tsvector(%(config)s::regconfig, %(title)s), 'A') || "
    "setweight(to_tsvector(%(config)s::regconfig, %(summary)s), 'B')"
)
"""What relevance ranks on: the title and summary alone (migration 0006)."""
_MUTABLE: Final = (
    "type, status, title, summary, language, language_base, estimated_minutes, theme_ids, "
    "theme_scope, skill_ids, skill_levels, space_id, content, answer_key, seats_left, "
    "registered_ids, author_id, version, reviewer_id, review_comment, validated, "
    "create_time, update_time, publish_time, sort_time, search_text"
)
_VALUES: Final = (
    "%(type)s, %(status)s, %(title)s, %(summary)s, %(language)s, %(language_base)s, "
    "%(estimated_minutes)s, %(theme_ids)s, %(theme_scope)s, %(skill_ids)s, "
    "%(skill_levels)s, %(space_id)s, %(content)s, %(answer_key)s, %(seats_left)s, "
    "%(registered_ids)s, %(author_id)s, %(version)s, %(reviewer_id)s, "
    "%(review_comment)s, %(validated)s, %(create_time)s, %(update_time)s, "
    "%(publish_time)s, %(sort_time)s, %(search_text)s"
)


def item_of(row: Row) -> Item:
    """An item from a row of :data:`ITEM_COLUMNS`."""
    fields = ItemFields(
        type=row["type"],
        title=row["title"],
        summary=row["summary"],
        language=row["language"],
        estimated_minutes=row["estimated_minutes"],
        theme_ids=tuple(row["theme_ids"]),
        theme_scope=tuple(row["theme_scope"]),
        skills=tuple(
            SkillLevel(s, lvl) for s, lvl in zip(row["skill_ids"], row["skill_levels"], strict=True)
        ),
        space_id=row["space_id"],
        content=row["content"],
        answer_key=row["answer_key"],
    )
    return Item(
        item_id=row["item_id"],
        fields=fields,
        author_id=row["author_id"],
        status=row["status"],
        version=row["version"],
        like_count=row["like_count"],
        comment_count=row["comment_count"],
        reviewer_id=row["reviewer_id"],
        review_comment=row["review_comment"],
        validated=row["validated"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        publish_time=row["publish_time"],
        sort_time=row["sort_time"],
        popularity=row["popularity"],
        registered_ids=tuple(row["registered_ids"]),
        seats_left=row["seats_left"],
    )


def _params(tenant: str, item: Item) -> dict[str, Any]:
    f = item.fields
    return {
        "tenant_id": tenant,
        "item_id": item.item_id,
        "type": f.type,
        "status": item.status,
        "title": f.title,
        "summary": f.summary,
        "body": f.body,
        "config": search_config(f.language),
        "language": f.language,
        "language_base": f.language.split("-")[0],
        "estimated_minutes": f.estimated_minutes,
        "theme_ids": list(f.theme_ids),
        "theme_scope": list(f.theme_scope),
        "skill_ids": [s.skill_id for s in f.skills],
        "skill_levels": [s.level for s in f.skills],
        "space_id": f.space_id,
        "content": Jsonb(f.content),
        "answer_key": Jsonb(f.answer_key) if f.answer_key is not None else None,
        "seats_left": item.seats_left,
        "registered_ids": list(item.registered_ids),
        "author_id": item.author_id,
        "version": item.version,
        "reviewer_id": item.reviewer_id,
        "review_comment": item.review_comment,
        "validated": item.validated,
        "create_time": item.create_time,
        "update_time": item.update_time,
        "publish_time": item.publish_time,
        "sort_time": item.sort_time,
        "search_text": searchable_text(f.title, f.summary),
    }


class PostgresItemRepository:
    """One tenant's items and item versions."""

    def __init__(self, connection: AsyncConnection[Any], tenant_id: str) -> None:
        self._c = connection
        self._tenant = tenant_id

    async def add(self, item: Item) -> None:
        await execute(
            self._c,
            f"INSERT INTO items (tenant_id, item_id, {_MUTABLE}, search_vector, rank_vector) "  # noqa: S608
            f"VALUES (%(tenant_id)s, %(item_id)s, {_VALUES}, {_VECTOR}, {_RANK_VECTOR})",
            _params(self._tenant, item),
        )

    async def save(self, item: Item) -> None:
        """Write every field the use cases change (counters belong to popularity)."""
        await execute(
            self._c,
            f"UPDATE items SET ({_MUTABLE}, search_vector, rank_vector) "  # noqa: S608
            f"= ({_VALUES}, {_VECTOR}, {_RANK_VECTOR}) "
            "WHERE tenant_id = %(tenant_id)s AND item_id = %(item_id)s",
            _params(self._tenant, item),
        )

    async def get(self, item_id: str, *, for_update: bool = False) -> Item | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await fetch_one(
            self._c,
            f"SELECT {ITEM_COLUMNS} FROM items WHERE tenant_id = %s AND item_id = %s{lock}",  # noqa: S608
            (self._tenant, item_id),
        )
        return item_of(row) if row is not None else None

    async def get_many(self, item_ids: Sequence[str]) -> dict[str, Item]:
        rows = await fetch_all(
            self._c,
            f"SELECT {ITEM_COLUMNS} FROM items WHERE tenant_id = %s AND item_id = ANY(%b::text[])",  # noqa: S608
            (self._tenant, list(item_ids)),
        )
        return {row["item_id"]: item_of(row) for row in rows}

    async def add_version(self, item: Item, editor_id: str) -> None:
        await execute(
            self._c,
            "INSERT INTO item_versions (tenant_id, item_id, version, title, summary, content, "
            "editor_id, create_time) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (tenant_id, item_id, version) DO NOTHING",
            (
                self._tenant,
                item.item_id,
                item.version,
                item.fields.title,
                item.fields.summary,
                Jsonb(item.fields.content),
                editor_id,
                item.update_time,
            ),
        )

    async def versions(self, item_id: str) -> list[ItemVersion]:
        rows = await fetch_all(
            self._c,
            "SELECT version, title, summary, editor_id, create_time FROM item_versions "
            "WHERE tenant_id = %s AND item_id = %s ORDER BY version DESC LIMIT 500",
            (self._tenant, item_id),
        )
        return [ItemVersion(**row) for row in rows]

    async def review_queue(
        self, skill_ids: Sequence[str] | None, exclude_author: str | None,
        after: tuple[datetime, str] | None, limit: int,
    ) -> list[Item]:  # fmt: skip
        """Submitted items, oldest first; of ``skill_ids`` and not by ``exclude_author``
        unless None (admins see all). Served by ``items_recent`` read backwards."""
        after_time, after_id = after if after is not None else (None, None)
        rows = await fetch_all(
            self._c,
            f"SELECT {ITEM_COLUMNS} FROM items WHERE tenant_id = %(t)s "  # noqa: S608
            "AND status = 'submitted' "
            "AND (%(skills)b::text[] IS NULL OR skill_ids && %(skills)b::text[]) "
            "AND (%(author)s::text IS NULL OR author_id <> %(author)s) "
            "AND (%(time)s::timestamptz IS NULL OR (sort_time, item_id) > (%(time)s, %(id)s)) "
            "ORDER BY sort_time, item_id LIMIT %(limit)s",
            {
                "t": self._tenant,
                "skills": list(skill_ids) if skill_ids is not None else None,
                "author": exclude_author,
                "time": after_time,
                "id": after_id,
                "limit": limit,
            },
        )
        return [item_of(row) for row in rows]

    async def register_seat(self, item_id: str, learner_id: str) -> Item | None:
        """Take a seat if one is left and the learner holds none; None otherwise."""
        row = await fetch_one(
            self._c,
            "UPDATE items SET registered_ids = array_append(registered_ids, %s), "  # noqa: S608
            "seats_left = seats_left - 1 WHERE tenant_id = %s AND item_id = %s "
            "AND seats_left > 0 AND NOT (registered_ids @> ARRAY[%s]) "
            f"RETURNING {ITEM_COLUMNS}",
            (learner_id, self._tenant, item_id, learner_id),
        )
        return item_of(row) if row is not None else None

    async def release_seat(self, item_id: str, learner_id: str) -> Item | None:
        row = await fetch_one(
            self._c,
            "UPDATE items SET registered_ids = array_remove(registered_ids, %s), "  # noqa: S608
            "seats_left = seats_left + 1 WHERE tenant_id = %s AND item_id = %s "
            f"AND registered_ids @> ARRAY[%s] RETURNING {ITEM_COLUMNS}",
            (learner_id, self._tenant, item_id, learner_id),
        )
        return item_of(row) if row is not None else None
