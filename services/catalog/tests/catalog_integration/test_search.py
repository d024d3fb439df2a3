"""Search through the real gRPC server on PostgreSQL: accents and case, prefixes,
relevance weights, filters, sorts and page tokens."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import grpc
import pytest

from agora.catalog.v1 import catalog_pb2 as pb
from agora_core.testing.grpc_assertions import assert_status, rpc_error

from .helpers import Tenant, quiz, wiki

pytestmark = pytest.mark.integration


async def _ids(tenant: Tenant, **fields: object) -> list[str]:
    response = await tenant.stub.SearchItems(
        pb.SearchItemsRequest(**fields),  # type: ignore[arg-type]
        metadata=tenant.learner,
    )
    return [item.item_id for item in response.items]


async def test_accents_case_and_prefixes_do_not_matter(tenant: Tenant) -> None:
    french = await tenant.publish(
        wiki(title="Éducation financière", summary="Épargne et crédit", language="fr")
    )
    english = await tenant.publish(wiki(title="Financial EDUCATION", language="en"))
    assert set(await _ids(tenant, query="education")) == {french.item_id, english.item_id}
    assert await _ids(tenant, query="ÉPARGNE") == [french.item_id]
    assert set(await _ids(tenant, query="financ")) == {french.item_id, english.item_id}
    # Every word must match.
    assert await _ids(tenant, query="education credit") == [french.item_id]
    assert await _ids(tenant, query="nothing-like-this") == []


async def test_relevance_weighs_title_over_summary_over_body(tenant: Tenant) -> None:
    body = await tenant.publish(wiki(title="Notes", markdown="about kubernetes operators"))
    summary = await tenant.publish(wiki(title="Ops", summary="Kubernetes in practice"))
    title = await tenant.publish(wiki(title="Kubernetes basics"))
    assert await _ids(tenant, query="kubernetes") == [title.item_id, summary.item_id, body.item_id]
    ranked = await _ids(tenant, query="kubernetes", sort=pb.SEARCH_SORT_RECENCY)
    assert ranked == [title.item_id, summary.item_id, body.item_id]  # also newest first
    # Relevance pages are stable: two pages of one item cover the ranking.
    first = await tenant.stub.SearchItems(
        pb.SearchItemsRequest(query="kubernetes", page_size=2), metadata=tenant.learner
    )
    second = await tenant.stub.SearchItems(
        pb.SearchItemsRequest(query="kubernetes", page_size=2, page_token=first.next_page_token),
        metadata=tenant.learner,
    )
    assert [i.item_id for i in [*first.items, *second.items]] == [
        title.item_id,
        summary.item_id,
        body.item_id,
    ]
    assert second.next_page_token == ""


async def _popularity(tenant: Tenant, item_id: str, popularity: int) -> None:
    """Set an item's popularity (as likes and comments would) in the service's database."""
    async with tenant.runtime.require_postgres().unit_of_work(tenant.tenant_id) as uow:
        await uow.connection.execute(
            "UPDATE items SET popularity = %s WHERE item_id = %s", (popularity, item_id)
        )


async def test_title_matches_come_first_then_body_only_matches_by_popularity(
    tenant: Tenant,
) -> None:
    # ADR 0005, amendment 1: a body-only match ranks below any title-or-summary match
    # however popular, and among body-only matches popularity decides, not mentions.
    loud = await tenant.publish(wiki(title="Notes", markdown="grafana grafana grafana grafana"))
    popular = await tenant.publish(wiki(title="Dashboards", markdown="one grafana panel"))
    title = await tenant.publish(wiki(title="Grafana basics"))
    await _popularity(tenant, popular.item_id, 500)
    await _popularity(tenant, loud.item_id, 3)
    assert await _ids(tenant, query="grafana") == [title.item_id, popular.item_id, loud.item_id]
    # A rare word in one body alone still finds its item.
    rare = await tenant.publish(wiki(title="Misc", markdown="the zeppelin pattern"))
    assert await _ids(tenant, query="zeppel") == [rare.item_id]


async def test_pages_continue_in_the_body_only_group(tenant: Tenant) -> None:
    title = await tenant.publish(wiki(title="Terraform modules"))
    body = [
        (await tenant.publish(wiki(title=f"Infra {n}", markdown="using terraform"))).item_id
        for n in range(5)
    ]
    for popularity, item_id in enumerate(body):
        await _popularity(tenant, item_id, popularity * 10)
    pages: list[list[str]] = []
    token = ""
    while True:
        response = await tenant.stub.SearchItems(
            pb.SearchItemsRequest(query="terraform", page_size=2, page_token=token),
            metadata=tenant.learner,
        )
        pages.append([item.item_id for item in response.items])
        token = response.next_page_token
        if not token:
            break
    # Page 1 ends in the body-only group; pages 2 and 3 continue it, no repeat, no gap.
    assert pages == [[title.item_id, body[4]], [body[3], body[2]], [body[1], body[0]]]


async def test_filters(tenant: Tenant) -> None:
    sql = await tenant.publish(wiki(title="SQL A", themes=["data"], minutes=5, language="fr-CA"))
    soft = await tenant.publish(
        wiki(title="Listening", themes=["soft"], skills=[("git", 1)], minutes=60)
    )
    test = await tenant.publish(quiz())
    draft = await tenant.create(wiki(title="SQL draft"))
    assert await _ids(tenant, theme_id="tech") == [sql.item_id]  # sub-theme "data" included
    assert await _ids(tenant, theme_id="soft") == [soft.item_id]
    assert set(await _ids(tenant, skill_id="sql")) == {sql.item_id, test.item_id}
    assert await _ids(tenant, types=[pb.KNOWLEDGE_TYPE_QUIZ]) == [test.item_id]
    assert await _ids(tenant, language="fr") == [sql.item_id]
    assert await _ids(tenant, language="fr-CA") == [sql.item_id]
    assert set(await _ids(tenant, max_minutes=10)) == {sql.item_id, test.item_id}
    # Drafts are not in the published catalogue; their author finds them by status.
    assert draft.item_id not in await _ids(tenant, query="sql")
    mine = await tenant.stub.SearchItems(
        pb.SearchItemsRequest(status=pb.ITEM_STATUS_DRAFT), metadata=tenant.author
    )
    assert [i.item_id for i in mine.items] == [draft.item_id]
    assert await _ids(tenant, status=pb.ITEM_STATUS_DRAFT) == []  # not the learner's drafts


async def test_recency_pages_and_bad_tokens(tenant: Tenant) -> None:
    created = [(await tenant.publish(wiki(title=f"Page {n}"))).item_id for n in range(5)]
    seen: list[str] = []
    token = ""
    while True:
        response = await tenant.stub.SearchItems(
            pb.SearchItemsRequest(sort=pb.SEARCH_SORT_RECENCY, page_size=2, page_token=token),
            metadata=tenant.learner,
        )
        seen.extend(i.item_id for i in response.items)
        token = response.next_page_token
        if not token:
            break
    assert seen == list(reversed(created))
    error = await rpc_error(
        tenant.stub.SearchItems(
            pb.SearchItemsRequest(page_token="garbage!"), metadata=tenant.learner
        )
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="page_token")
    first = await tenant.stub.SearchItems(
        pb.SearchItemsRequest(page_size=1), metadata=tenant.learner
    )
    error = await rpc_error(
        tenant.stub.SearchItems(
            pb.SearchItemsRequest(query="page", page_token=first.next_page_token),
            metadata=tenant.learner,
        )
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="page_token")
    error = await rpc_error(
        tenant.stub.SearchItems(pb.SearchItemsRequest(query="x" * 501), metadata=tenant.learner)
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="query")


async def test_stems_typos_and_search_as_you_type(tenant: Tenant) -> None:
    managers = await tenant.publish(
        wiki(title="Formation des managers", summary="Écoute et délégation", language="fr")
    )
    privacy = await tenant.publish(wiki(title="Pseudonymisation of personal data", language="en"))
    assert await _ids(tenant, query="formations") == [managers.item_id]  # French stem
    assert await _ids(tenant, query="manager") == [managers.item_id]
    assert await _ids(tenant, query="delegat") == [managers.item_id]  # a prefix, typed
    assert await _ids(tenant, query="DÉLÉGATION écoute") == [managers.item_id]
    assert await _ids(tenant, query="pseudonymisaton") == [privacy.item_id]  # a typo
    assert await _ids(tenant, query="personal datas") == [privacy.item_id]  # English stem


async def test_bad_input_is_refused_or_finds_nothing_never_an_internal_error(
    tenant: Tenant,
) -> None:
    await tenant.publish(wiki(title="Kubernetes basics"))
    for query in ('"', "' OR 1=1 --", "&|!:*()<->", "kubernetes & !", "a", "   "):
        response = await tenant.stub.SearchItems(
            pb.SearchItemsRequest(query=query), metadata=tenant.learner
        )
        found = [i.title for i in response.items]
        assert found in ([], ["Kubernetes basics"]), (query, found)
    cases: dict[str, pb.SearchItemsRequest] = {
        "query": pb.SearchItemsRequest(query="é" * 1000),
        "types.0": pb.SearchItemsRequest(types=[99]),  # type: ignore[list-item]
        "status": pb.SearchItemsRequest(status=99),  # type: ignore[arg-type]
        "sort": pb.SearchItemsRequest(sort=99),  # type: ignore[arg-type]
        "language": pb.SearchItemsRequest(language="not a language"),
        "theme_id": pb.SearchItemsRequest(theme_id="bad id!"),
        "max_minutes": pb.SearchItemsRequest(max_minutes=-1),
    }
    for field, request in cases.items():
        error = await rpc_error(tenant.stub.SearchItems(request, metadata=tenant.learner))
        assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field=field)


async def test_a_nul_character_is_refused_with_its_field(tenant: Tenant) -> None:
    """PostgreSQL text and JSON cannot hold NUL: it is refused at the door, by field."""
    s, who = tenant.stub, tenant.learner
    item = await tenant.publish(wiki(title="Joins"))
    calls: dict[str, Awaitable[Any]] = {
        "item_id": s.GetItem(pb.GetItemRequest(item_id="x\x00y"), metadata=who),
        "skill_id": s.GetSkillsReport(
            pb.GetSkillsReportRequest(skill_id="sql\x00"), metadata=tenant.manager
        ),
        "path_id": s.StartItem(
            pb.StartItemRequest(item_id=item.item_id, path_id="p\x00"), metadata=who
        ),
        "last_position": s.RecordProgress(
            pb.RecordProgressRequest(item_id=item.item_id, percent=5, last_position="\x00"),
            metadata=who,
        ),
    }
    for field, call in calls.items():
        assert_status(await rpc_error(call), grpc.StatusCode.INVALID_ARGUMENT, field=field)
