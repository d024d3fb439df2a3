"""``agora notifications``: the caller's inbox."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from agora.notifications.v1 import notifications_pb2
from agora.notifications.v1.notifications_pb2_grpc import NotificationsServiceStub
from agora_cli.config import CliConfig, Service
from agora_cli.output import emit, message_dict, next_page_hint, table
from agora_cli.session import Session, run

app = typer.Typer(help="Inbox.", no_args_is_help=True)


@app.command("inbox")
def inbox(
    ctx: typer.Context,
    unread: Annotated[bool, typer.Option("--unread", help="Only unread notifications.")] = False,
    page_size: Annotated[int, typer.Option(min=0, max=500)] = 50,
    page_token: Annotated[str, typer.Option()] = "",
) -> None:
    """The caller's inbox, newest first, with the unread count."""
    config: CliConfig = ctx.obj

    async def call(session: Session) -> tuple[Any, Any]:
        stub = session.stub(Service.NOTIFICATIONS, NotificationsServiceStub)
        page = await stub.ListInbox(
            notifications_pb2.ListInboxRequest(
                page_size=page_size, page_token=page_token, unread_only=unread
            ),
            **session.call_options,
        )
        count = await stub.GetUnreadCount(
            notifications_pb2.GetUnreadCountRequest(), **session.call_options
        )
        return page, count

    page, count = run(config, call)

    def render(console: Console) -> None:
        console.print(
            table(
                f"inbox ({count.unread} unread)",
                ["", "when", "category", "title", "about"],
                (
                    (
                        "" if n.read else "●",
                        n.create_time.ToDatetime().strftime("%Y-%m-%d %H:%M"),
                        n.category,
                        n.title,
                        n.subject_id,
                    )
                    for n in page.notifications
                ),
            )
        )
        next_page_hint(console, page.next_page_token)

    emit(config.json, {**message_dict(page), **message_dict(count)}, render)
