"""``agora catalog``: search the catalogue, show items and paths, complete items."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from agora.catalog.v1 import catalog_pb2
from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from agora_cli.config import CliConfig, Service
from agora_cli.enums import ItemState, KnowledgeKind, SortOrder, to_proto
from agora_cli.output import emit, message_dict, next_page_hint, short_enum, table
from agora_cli.session import Session, run

app = typer.Typer(help="The catalogue: items, paths, progress.", no_args_is_help=True)

TYPE = "KNOWLEDGE_TYPE_"
STATUS = "ITEM_STATUS_"


@app.command("search")
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Words to find (prefixes match too).")] = "",
    types: Annotated[list[KnowledgeKind] | None, typer.Option("--type", help="Repeatable.")] = None,
    theme: Annotated[str, typer.Option(help="Theme id (its sub-themes too).")] = "",
    skill: Annotated[str, typer.Option(help="Skill id.")] = "",
    language: Annotated[str, typer.Option(help="Language code, e.g. en.")] = "",
    max_minutes: Annotated[int, typer.Option(min=0, help="0: no bound.")] = 0,
    status: Annotated[ItemState | None, typer.Option(help="Default: published.")] = None,
    space: Annotated[str, typer.Option(help="Also items shared in this space.")] = "",
    sort: Annotated[
        SortOrder | None, typer.Option(help="Default: relevance with a query, recency without.")
    ] = None,
    page_size: Annotated[int, typer.Option(min=0, max=100)] = 20,
    page_token: Annotated[str, typer.Option(help="From the previous page.")] = "",
) -> None:
    """Search knowledge items with filters, a sort order and paging."""
    config: CliConfig = ctx.obj
    request = catalog_pb2.SearchItemsRequest(
        query=query,
        types=[to_proto(t) for t in types or ()],
        theme_id=theme,
        skill_id=skill,
        language=language,
        max_minutes=max_minutes,
        status=to_proto(status),
        space_id=space,
        sort=to_proto(sort),
        page_size=page_size,
        page_token=page_token,
    )

    async def call(session: Session) -> Any:
        stub = session.stub(Service.CATALOG, CatalogServiceStub)
        return await stub.SearchItems(request, **session.call_options)

    response = run(config, call)

    def render(console: Console) -> None:
        console.print(
            table(
                f"{len(response.items)} item(s)",
                ["id", "type", "title", "min", "likes", "comments", "status"],
                (
                    (
                        item.item_id,
                        short_enum(catalog_pb2.KnowledgeType.Name(item.type), TYPE),
                        item.title,
                        item.estimated_minutes,
                        item.like_count,
                        item.comment_count,
                        short_enum(catalog_pb2.ItemStatus.Name(item.status), STATUS),
                    )
                    for item in response.items
                ),
            )
        )
        next_page_hint(console, response.next_page_token)

    emit(config.json, message_dict(response), render)


@app.command("item")
def item(ctx: typer.Context, item_id: Annotated[str, typer.Argument()]) -> None:
    """Show one item."""
    config: CliConfig = ctx.obj

    async def call(session: Session) -> Any:
        stub = session.stub(Service.CATALOG, CatalogServiceStub)
        return await stub.GetItem(
            catalog_pb2.GetItemRequest(item_id=item_id), **session.call_options
        )

    found = run(config, call).item

    def render(console: Console) -> None:
        console.print(
            table(
                found.title,
                ["field", "value"],
                [
                    ("id", found.item_id),
                    ("type", short_enum(catalog_pb2.KnowledgeType.Name(found.type), TYPE)),
                    ("status", short_enum(catalog_pb2.ItemStatus.Name(found.status), STATUS)),
                    ("summary", found.summary),
                    ("language", found.language),
                    ("minutes", found.estimated_minutes),
                    ("author", found.author_id),
                    ("likes", found.like_count),
                    ("comments", found.comment_count),
                    ("version", found.version),
                ],
            )
        )

    emit(config.json, {"item": message_dict(found)}, render)


@app.command("path")
def path(ctx: typer.Context, path_id: Annotated[str, typer.Argument()]) -> None:
    """Show a path, its steps, and the caller's progress on it."""
    config: CliConfig = ctx.obj

    async def call(session: Session) -> tuple[Any, Any, set[str]]:
        stub = session.stub(Service.CATALOG, CatalogServiceStub)
        found = await stub.GetPath(
            catalog_pb2.GetPathRequest(path_id=path_id), **session.call_options
        )
        progress = None
        completed_items: set[str] = set()
        page_token = ""
        while True:  # the caller's progress, page by page, until this path is found
            page = await stub.ListMyProgress(
                catalog_pb2.ListMyProgressRequest(page_size=100, page_token=page_token),
                **session.call_options,
            )
            completed_items |= {p.item_id for p in page.items if p.completed}
            progress = next((p for p in page.paths if p.path_id == path_id), progress)
            page_token = page.next_page_token
            if not page_token:
                break
        return found.path, progress, completed_items

    found, progress, completed_items = run(config, call)
    # The path's own record catches up through an event; the caller's item
    # progress shows a completion at once.
    done = completed_items | (set(progress.completed_item_ids) if progress is not None else set())

    def render(console: Console) -> None:
        console.print(
            table(
                f"{found.title} ({found.path_id})",
                ["#", "item", "mandatory", "done"],
                (
                    (
                        n,
                        step.item_id,
                        "yes" if step.mandatory else "",
                        "✓" if step.item_id in done else "",
                    )
                    for n, step in enumerate(found.steps, start=1)
                ),
            )
        )
        if progress is None:
            console.print("[dim]not enrolled[/dim]")
        else:
            state = "completed" if progress.completed else "in progress"
            done_steps = f"{progress.mandatory_completed}/{progress.mandatory_steps}"
            console.print(f"{done_steps} mandatory steps, {state}")

    emit(
        config.json,
        {
            "path": message_dict(found),
            "progress": message_dict(progress) if progress is not None else None,
        },
        render,
    )


@app.command("enrol")
def enrol(ctx: typer.Context, path_id: Annotated[str, typer.Argument()]) -> None:
    """Enrol the caller in a path."""
    config: CliConfig = ctx.obj

    async def call(session: Session) -> Any:
        stub = session.stub(Service.CATALOG, CatalogServiceStub)
        return await stub.EnrolInPath(
            catalog_pb2.EnrolInPathRequest(path_id=path_id), **session.call_options
        )

    enrolled = run(config, call).progress

    def render(console: Console) -> None:
        console.print(f"enrolled in {enrolled.path_title or path_id}")

    emit(config.json, {"progress": message_dict(enrolled)}, render)


@app.command("progress")
def progress(
    ctx: typer.Context,
    page_size: Annotated[int, typer.Option(min=0, max=100)] = 50,
    page_token: Annotated[str, typer.Option()] = "",
) -> None:
    """The caller's progress on items and paths."""
    config: CliConfig = ctx.obj

    async def call(session: Session) -> Any:
        stub = session.stub(Service.CATALOG, CatalogServiceStub)
        return await stub.ListMyProgress(
            catalog_pb2.ListMyProgressRequest(page_size=page_size, page_token=page_token),
            **session.call_options,
        )

    response = run(config, call)

    def render(console: Console) -> None:
        console.print(
            table(
                "items",
                ["item", "title", "percent", "completed"],
                (
                    (p.item_id, p.item_title, p.percent, "✓" if p.completed else "")
                    for p in response.items
                ),
            )
        )
        console.print(
            table(
                "paths",
                ["path", "title", "mandatory done", "completed"],
                (
                    (
                        p.path_id,
                        p.path_title,
                        f"{p.mandatory_completed}/{p.mandatory_steps}",
                        "✓" if p.completed else "",
                    )
                    for p in response.paths
                ),
            )
        )
        next_page_hint(console, response.next_page_token)

    emit(config.json, message_dict(response), render)


@app.command("complete")
def complete(ctx: typer.Context, item_id: Annotated[str, typer.Argument()]) -> None:
    """Mark an item completed by the caller (idempotent)."""
    config: CliConfig = ctx.obj

    async def call(session: Session) -> Any:
        stub = session.stub(Service.CATALOG, CatalogServiceStub)
        return await stub.CompleteItem(
            catalog_pb2.CompleteItemRequest(item_id=item_id), **session.call_options
        )

    response = run(config, call)

    def render(console: Console) -> None:
        verb = "completed" if response.newly_completed else "already completed"
        console.print(f"{response.progress.item_title or item_id}: {verb}")

    emit(config.json, message_dict(response), render)
