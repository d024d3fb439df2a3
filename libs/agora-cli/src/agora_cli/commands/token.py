"""``agora token``: development tokens for services running in dev mode (HS256)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import jwt
import typer
from rich.console import Console

from agora_cli.config import CliConfig, CliUsageError, dev_secret, parse_roles
from agora_cli.errors import ExitCode, report_problem
from agora_cli.output import emit

app = typer.Typer(
    help="Development tokens (HS256, for services in dev mode).", no_args_is_help=True
)


@app.command("mint")
def mint(
    ctx: typer.Context,
    sub: Annotated[
        str | None, typer.Option("--sub", help="Subject (user id); default --user.")
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="Tenant; default the global --tenant.")] = None,
    roles: Annotated[
        str | None, typer.Option(help="Comma-separated roles; default the global --roles.")
    ] = None,
    ttl_minutes: Annotated[int, typer.Option(min=1, max=7 * 24 * 60, help="Lifetime.")] = 60,
) -> None:
    """Mint a token signed with the local dev secret; print it (or its claims with --json).

    Use it as AGORA_TOKEN or in any gRPC client's `authorization: Bearer` metadata.
    """
    from agora_core.grpc.dev_tokens import mint_dev_token  # heavy: imported on use

    config: CliConfig = ctx.obj
    chosen_roles = parse_roles(roles) if roles is not None else config.roles
    try:
        secret = dev_secret(config.secret_search_from)
    except CliUsageError as error:
        report_problem(str(error), json_mode=config.json, code="USAGE")
        raise typer.Exit(ExitCode.USAGE) from None
    token = mint_dev_token(
        secret,
        sub or config.user,
        tenant or config.tenant,
        chosen_roles,
        ttl=dt.timedelta(minutes=ttl_minutes),
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    data = {
        "token": token,
        "sub": claims["sub"],
        "tenant": claims["tenant"],
        "roles": claims["roles"],
        "expires_at": dt.datetime.fromtimestamp(claims["exp"], dt.UTC).isoformat(),
    }

    def render(console: Console) -> None:
        # The bare token, so `export AGORA_TOKEN=$(agora token mint …)` works.
        typer.echo(token)

    emit(config.json, data, render)
