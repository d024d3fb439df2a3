"""``agora gamification``: leaderboards and profiles."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from agora.gamification.v1 import gamification_pb2
from agora.gamification.v1.gamification_pb2_grpc import GamificationServiceStub
from agora_cli.config import CliConfig, Service
from agora_cli.enums import BoardPeriod, BoardScope, to_proto
from agora_cli.output import emit, message_dict, table
from agora_cli.session import Session, run

app = typer.Typer(help="Points, levels, badges, leaderboards.", no_args_is_help=True)


@app.command("leaderboard")
def leaderboard(
    ctx: typer.Context,
    top: Annotated[int, typer.Option(min=1, max=100, help="How many leaders.")] = 10,
    around_me: Annotated[
        bool, typer.Option("--around-me", help="Also the caller's rank and neighbours.")
    ] = False,
    neighbours: Annotated[int, typer.Option(min=0, max=25)] = 2,
    scope: Annotated[BoardScope, typer.Option()] = BoardScope.TENANT,
    scope_id: Annotated[str, typer.Option(help="Space or team id for those scopes.")] = "",
    period: Annotated[BoardPeriod, typer.Option()] = BoardPeriod.ALL_TIME,
    period_key: Annotated[str, typer.Option(help='A past period, e.g. "2026-W48".')] = "",
) -> None:
    """Show a leaderboard: the top N, and with --around-me the caller's neighbourhood."""
    config: CliConfig = ctx.obj
    request = gamification_pb2.GetLeaderboardRequest(
        scope=to_proto(scope),
        scope_id=scope_id,
        period=to_proto(period),
        top_n=top,
        around_me=around_me,
        neighbours=neighbours if around_me else 0,
        period_key=period_key,
    )

    async def call(session: Session) -> Any:
        stub = session.stub(Service.GAMIFICATION, GamificationServiceStub)
        return await stub.GetLeaderboard(request, **session.call_options)

    response = run(config, call)

    def rows(entries: Any) -> Any:
        return (
            (e.rank, e.learner_id or e.team_id or "(hidden)", e.points, "← you" if e.is_me else "")
            for e in entries
        )

    def render(console: Console) -> None:
        title = (
            f"top {top} · {period.value} · {response.period_key} ({response.ranked_count} ranked)"
        )
        console.print(table(title, ["rank", "who", "points", ""], rows(response.top)))
        if around_me:
            console.print(
                table("around me", ["rank", "who", "points", ""], rows(response.around_me))
            )
            if response.me.rank == 0:
                console.print("[dim]you are not ranked (no points, or opted out)[/dim]")

    emit(config.json, message_dict(response), render)


@app.command("profile")
def profile(
    ctx: typer.Context,
    learner_id: Annotated[str, typer.Argument(help="Default: the caller.")] = "",
) -> None:
    """Points, level, streak and badges of a learner."""
    config: CliConfig = ctx.obj

    async def call(session: Session) -> Any:
        stub = session.stub(Service.GAMIFICATION, GamificationServiceStub)
        return await stub.GetProfile(
            gamification_pb2.GetProfileRequest(learner_id=learner_id), **session.call_options
        )

    found = run(config, call).profile

    def render(console: Console) -> None:
        console.print(
            table(
                f"profile of {found.learner_id}",
                ["field", "value"],
                [
                    ("points", found.points),
                    ("level", f"{found.level.level} {found.level.name}".strip()),
                    ("to next level", found.points_to_next_level),
                    (
                        "streak",
                        f"{found.streak.current_days} days (best {found.streak.longest_days})",
                    ),
                    (
                        "badges",
                        ", ".join(
                            b.badge_name or b.badge_id for b in found.badges if not b.revoked
                        ),
                    ),
                ],
            )
        )

    emit(config.json, {"profile": message_dict(found)}, render)
