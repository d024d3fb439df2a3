"""The search index kept in step with the items, over in-memory fakes of our stores:
maintenance by every use case that changes a row, replicas seeing each other's changes,
repair after an interrupted update, and the bounded popularity dedupe record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agora_catalog.domain.inputs import ItemIn, ReviewIn, SearchIn, SkillIn, ThemeIn
from agora_catalog.domain.search import SearchRow
from agora_catalog.service_layer.catalog import Catalog, search_changed
from agora_catalog.service_layer.events import EventFactory
from agora_catalog.service_layer.popularity import Popularity, day_bucket
from agora_catalog.service_layer.search_index import SearchIndex, shard_of
from agora_contracts.events.registry import REGISTRY
from agora_core.grpc.auth import Principal, Role
from agora_core.storage import Document

from .fakes import FakeStores

pytestmark = pytest.mark.unit

T = "acme"
AUTHOR = Principal("u-grace", T, frozenset({Role.CONTRIBUTOR}))
EXPERT = Principal("u-linus", T, frozenset({Role.EXPERT}))
ADMIN = Principal("u-root", T, frozenset({Role.ADMIN}))
LEARNER = Principal("u-ada", T, frozenset({Role.LEARNER}))


def _wiki(title: str, markdown: str = "text") -> ItemIn:
    return ItemIn.model_validate(
        {
            "title": title,
            "language": "fr",
            "theme_ids": ["data"],
            "skills": [{"skill_id": "sql", "level": 2}],
            "wiki": {"markdown": markdown},
        }
    )


@pytest.fixture
async def world() -> tuple[FakeStores, Catalog]:
    stores = FakeStores()
    catalog = Catalog(stores, EventFactory(REGISTRY), lambda _hint=None, /: None)
    await catalog.upsert_theme(T, ThemeIn(theme_id="data", name="Data"))
    await catalog.upsert_skill(T, SkillIn(skill_id="sql", name="SQL", expert_ids=[EXPERT.subject]))
    return stores, catalog


async def _publish(catalog: Catalog, item_id: str) -> Document:
    await catalog.submit(AUTHOR, item_id)
    await catalog.claim(EXPERT, item_id)
    return await catalog.review(EXPERT, ReviewIn(item_id=item_id, decision="approved"))


async def _ids(catalog: Catalog, principal: Principal = LEARNER, **search: object) -> list[str]:
    found, _ = await catalog.search(principal, SearchIn.model_validate(search), "", 50)
    return [d["_id"] for d in found]


def _item(stores: FakeStores, item_id: str) -> Document:
    [document] = [d for d in stores.all("items") if d["_id"] == item_id]
    return document


async def test_edit_publish_archive_and_popularity_keep_rows_current(
    world: tuple[FakeStores, Catalog],
) -> None:
    stores, catalog = world
    draft = await catalog.create_item(AUTHOR, _wiki("Jointures gauches"))
    assert await _ids(catalog, AUTHOR, query="jointure", status="draft") == [draft["_id"]]
    await catalog.update_item(AUTHOR, draft["_id"], _wiki("Unions SQL"))
    assert await _ids(catalog, AUTHOR, query="jointure", status="draft") == []
    assert await _ids(catalog, AUTHOR, query="union", status="draft") == [draft["_id"]]
    assert await _ids(catalog, query="union") == []  # not published yet

    await _publish(catalog, draft["_id"])
    other = await catalog.create_item(AUTHOR, _wiki("Index SQL"))
    await _publish(catalog, other["_id"])
    assert await _ids(catalog, query="union") == [draft["_id"]]
    tie = sorted([other["_id"], draft["_id"]], reverse=True)
    assert await _ids(catalog, sort="popularity") == tie  # same popularity: by id

    popularity = Popularity(stores, catalog.index)
    liked = min(draft["_id"], other["_id"])  # the one that loses the tie-break
    now = datetime.now(UTC)
    assert await popularity.apply(T, "knowledge", liked, "e1", occurred_at=now, likes=1, comments=0)
    assert (await _ids(catalog, sort="popularity"))[0] == liked

    await catalog.archive(AUTHOR, draft["_id"], "outdated")
    assert await _ids(catalog, query="union") == []
    assert await _ids(catalog, ADMIN, query="union", status="archived") == [draft["_id"]]
    assert not any(d.get("search_pending") for d in stores.all("items"))


async def test_a_replica_sees_changes_applied_by_another(
    world: tuple[FakeStores, Catalog],
) -> None:
    stores, catalog = world
    replica = Catalog(
        stores, EventFactory(REGISTRY), lambda _hint=None, /: None, index=SearchIndex(stores)
    )
    item = await catalog.create_item(AUTHOR, _wiki("Fenêtrage"))
    await _publish(catalog, item["_id"])
    assert await _ids(replica, query="fenetrage") == [item["_id"]]  # loaded
    await catalog.archive(ADMIN, item["_id"], "gone")
    assert await _ids(replica, query="fenetrage") == []  # reloaded from the manifest


async def test_repair_after_an_interrupted_update(world: tuple[FakeStores, Catalog]) -> None:
    stores, catalog = world
    item = await catalog.create_item(AUTHOR, _wiki("Partitions"))
    published = await _publish(catalog, item["_id"])
    # A process wrote a change (with its search mark) and died before applying it.
    items = stores.repo("items", T)
    changed = await items.find_one_and_update(
        {"_id": item["_id"]}, search_changed({"$set": {"title": "Fenêtres"}})
    )
    assert changed is not None
    assert changed["search_pending"]
    assert await _ids(catalog, query="fenetres") == []  # the row lags

    # A late apply of the older revision must not overwrite anything newer later on.
    fresh = SearchIndex(stores)
    pending = [d for d in stores.all("items") if d.get("search_pending")]
    assert await fresh.repair(pending) == 1
    await fresh.apply(T, published)  # stale revision: ignored
    assert await _ids(catalog, query="fenetres") == [item["_id"]]
    assert await _ids(catalog, query="partitions") == []
    assert not _item(stores, item["_id"])["search_pending"]

    # Died after the row was written but before the manifest counted it: the row is
    # stored, other replicas do not know yet; repair counts it again.
    changed = await items.find_one_and_update(
        {"_id": item["_id"]}, search_changed({"$set": {"title": "Curseurs"}})
    )
    assert changed is not None
    await SearchIndex(stores)._write_row(T, shard_of(item["_id"]), SearchRow.of(changed))
    assert await _ids(catalog, query="curseurs") == []
    await SearchIndex(stores).repair([d for d in stores.all("items") if d.get("search_pending")])
    assert await _ids(catalog, query="curseurs") == [item["_id"]]


async def test_items_older_than_the_index_are_indexed_by_repair(
    world: tuple[FakeStores, Catalog],
) -> None:
    stores, catalog = world
    item = await catalog.create_item(AUTHOR, _wiki("Ancien"))
    await _publish(catalog, item["_id"])
    legacy = FakeStores()  # same item, as the first search design left it
    legacy.collections["items"] = {
        item["_id"]: {
            k: v for k, v in _item(stores, item["_id"]).items() if not k.startswith("search_")
        }
    }
    old = Catalog(legacy, EventFactory(REGISTRY), lambda _hint=None, /: None)
    assert await _ids(old, query="ancien") == []
    assert await old.index.repair(legacy.all("items")) == 1
    assert await _ids(old, query="ancien") == [item["_id"]]
    assert _item(legacy, item["_id"])["search_rev"] == 0


async def test_popularity_ids_are_bucketed_by_day_and_expire_with_the_window(
    world: tuple[FakeStores, Catalog],
) -> None:
    stores, catalog = world
    item = await catalog.create_item(AUTHOR, _wiki("Populaire"))
    await _publish(catalog, item["_id"])
    clock = [datetime(2026, 11, 1, 12, tzinfo=UTC)]
    popularity = Popularity(stores, catalog.index, dedupe_days=3, clock=lambda: clock[0])

    async def like(event_id: str, days_ago: int = 0) -> bool:
        moment = clock[0] - timedelta(days=days_ago)
        return await popularity.apply(
            T, "knowledge", item["_id"], event_id, occurred_at=moment, likes=1, comments=0
        )

    assert await like("a")
    assert await like("b", days_ago=1)
    assert not await like("a")  # exact within the window
    assert not await like("b", days_ago=1)
    assert not await like("old", days_ago=4)  # before the window: ignored, never doubled
    seen = _item(stores, item["_id"])["popularity_seen"]
    assert seen == {day_bucket(clock[0]): ["a"], day_bucket(clock[0] - timedelta(days=1)): ["b"]}

    clock[0] += timedelta(days=5)
    assert await like("c")
    stored = _item(stores, item["_id"])
    assert stored["popularity_seen"] == {day_bucket(clock[0]): ["c"]}  # old days dropped
    assert stored["like_count"] == 3
    assert (await _ids(catalog, sort="popularity"))[0] == item["_id"]


async def test_the_old_id_array_keeps_deduplicating_then_expires(
    world: tuple[FakeStores, Catalog],
) -> None:
    stores, catalog = world
    item = await catalog.create_item(AUTHOR, _wiki("Migration"))
    await _publish(catalog, item["_id"])
    _item(stores, item["_id"])["popularity_applied"] = ["old-1"]
    now = datetime.now(UTC)
    popularity = Popularity(stores, catalog.index)

    async def like(event_id: str) -> bool:
        return await popularity.apply(
            T, "knowledge", item["_id"], event_id, occurred_at=now, likes=1, comments=0
        )

    assert not await like("old-1")
    assert await like("new-1")
    stored = _item(stores, item["_id"])
    assert "popularity_applied" not in stored
    assert stored["popularity_seen"] == {day_bucket(now): ["new-1", "old-1"]}
    assert not await like("old-1")


async def test_relevance_pages_cover_the_whole_ranking_once(
    world: tuple[FakeStores, Catalog],
) -> None:
    _, catalog = world
    titles = ["Kube", "Kube ops", "Kubernetes", "Notes", "Kube tips", "Kubelet", "Pods"]
    for n, title in enumerate(titles):
        item = await catalog.create_item(AUTHOR, _wiki(title, markdown=f"kube page {n}"))
        await _publish(catalog, item["_id"])
    everything = await _ids(catalog, query="kube")
    assert len(everything) == len(titles)
    paged: list[str] = []
    token = ""
    while True:
        found, token = await catalog.search(LEARNER, SearchIn(query="kube"), token, 2)
        paged.extend(d["_id"] for d in found)
        if not token:
            break
    assert paged == everything
