"""``agora community``: like, comment, read a thread."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from agora.community.v1 import community_pb2
from agora.community.v1.community_pb2_grpc import CommunityServiceStub
from agora_cli.config import CliConfig, Service
from agora_cli.enums import TargetKind, to_proto
from agora_cli.output import emit, message_dict, next_page_hint, table
from agora_cli.session import Session, run

app = typer.Typer(help="Likes and comments.", no_args_is_help=True)

On = Annotated[TargetKind, typer.Option("--on", help="What the id names.")]


def _target(kind: TargetKind, target_id: str) -> community_pb2.Target:
    return community_pb2.Target(type=to_proto(kind), id=target_id)


@app.command("like")
def like(
    ctx: typer.Context,
    target_id: Annotated[str, typer.Argument(help="Id of the item, path, comment…")],
    on: On = TargetKind.KNOWLEDGE,
) -> None:
    """Like something (liking twice changes nothing)."""
    config: CliConfig = ctx.obj

    async def call(session: Session) -> Any:
        stub = session.stub(Service.COMMUNITY, CommunityServiceStub)
        return await stub.Like(
            community_pb2.LikeRequest(target=_target(on, target_id)), **session.call_options
        )

    response = run(config, call)

    def render(console: Console) -> None:
        console.print("liked" if response.changed else "already liked")

    emit(config.json, message_dict(response), render)


@app.command("comment")
def comment(
    ctx: typer.Context,
    target_id: Annotated[str, typer.Argument(help="Id of the item, path, question…")],
    body: Annotated[str, typer.Argument(help="Markdown; `@user-id` mentions a person.")],
    on: On = TargetKind.KNOWLEDGE,
    reply_to: Annotated[str, typer.Option(help="Parent comment id, for a reply.")] = "",
) -> None:
    """Post a comment (or a reply) on something."""
    config: CliConfig = ctx.obj

    async def call(session: Session) -> Any:
        stub = session.stub(Service.COMMUNITY, CommunityServiceStub)
        return await stub.PostComment(
            community_pb2.PostCommentRequest(
                target=_target(on, target_id), parent_comment_id=reply_to, body=body
            ),
            **session.call_options,
        )

    posted = run(config, call).comment

    def render(console: Console) -> None:
        console.print(f"comment {posted.comment_id} posted")

    emit(config.json, {"comment": message_dict(posted)}, render)


@app.command("comments")
def comments(
    ctx: typer.Context,
    target_id: Annotated[str, typer.Argument()],
    on: On = TargetKind.KNOWLEDGE,
    page_size: Annotated[int, typer.Option(min=0, max=100)] = 50,
    page_token: Annotated[str, typer.Option()] = "",
) -> None:
    """The comment thread of something, oldest first."""
    config: CliConfig = ctx.obj

    async def call(session: Session) -> Any:
        stub = session.stub(Service.COMMUNITY, CommunityServiceStub)
        return await stub.ListComments(
            community_pb2.ListCommentsRequest(
                target=_target(on, target_id), page_size=page_size, page_token=page_token
            ),
            **session.call_options,
        )

    response = run(config, call)

    def render(console: Console) -> None:
        console.print(
            table(
                f"{len(response.comments)} comment(s)",
                ["id", "author", "reply to", "body"],
                (
                    (c.comment_id, c.author_id, c.parent_comment_id, c.body)
                    for c in response.comments
                ),
            )
        )
        next_page_hint(console, response.next_page_token)

    emit(config.json, message_dict(response), render)
