"""The ``agora`` command: global options, then one sub-command group per area."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agora_cli.commands import (
    catalog,
    community,
    events,
    gamification,
    notifications,
    ops,
    token,
    topics,
)
from agora_cli.config import CliConfig, CliUsageError, Service, parse_roles
from agora_cli.connections import GrpcTls, grpc_tls

app = typer.Typer(
    name="agora",
    help="Agora from the command line: tokens, catalogue, community, gamification, "
    "notifications, events, operations and topics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(token.app, name="token")
app.add_typer(catalog.app, name="catalog")
app.add_typer(community.app, name="community")
app.add_typer(gamification.app, name="gamification")
app.add_typer(notifications.app, name="notifications")
app.add_typer(events.app, name="events")
app.add_typer(ops.app, name="ops")
app.add_typer(topics.app, name="topics")


def _endpoint(service: Service) -> object:
    return typer.Option(
        f"--{service.value}",
        envvar=service.endpoint_env,
        help=f"{service.value} gRPC host:port.",
        show_default=True,
    )


@app.callback()
def main_options(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option(envvar="AGORA_TENANT", help="Caller's tenant.")] = "acme",
    user: Annotated[str, typer.Option(envvar="AGORA_USER", help="Caller's user id.")] = "cli-user",
    roles: Annotated[
        str, typer.Option(envvar="AGORA_ROLES", help="Caller's roles, comma-separated.")
    ] = "learner",
    token_: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="AGORA_TOKEN",
            help="Bearer token; without it one is minted from the dev secret.",
            show_default=False,
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Stable JSON on stdout instead of tables.")
    ] = False,
    catalog_endpoint: Annotated[str, _endpoint(Service.CATALOG)] = Service.CATALOG.default_endpoint,
    community_endpoint: Annotated[
        str, _endpoint(Service.COMMUNITY)
    ] = Service.COMMUNITY.default_endpoint,
    gamification_endpoint: Annotated[
        str, _endpoint(Service.GAMIFICATION)
    ] = Service.GAMIFICATION.default_endpoint,
    notifications_endpoint: Annotated[
        str, _endpoint(Service.NOTIFICATIONS)
    ] = Service.NOTIFICATIONS.default_endpoint,
    kafka: Annotated[
        str, typer.Option(envvar="AGORA_KAFKA", help="Kafka bootstrap servers (events tail).")
    ] = "127.0.0.1:19092",
    timeout: Annotated[
        float, typer.Option(envvar="AGORA_TIMEOUT", min=0.1, help="Deadline of each call (s).")
    ] = 30.0,
    tls: Annotated[
        bool,
        typer.Option(
            "--tls/--no-tls",
            envvar="AGORA_GRPC_TLS",
            help="TLS to the services (implied by --ca-file or --client-cert). Kafka's "
            "security comes from the AGORA_KAFKA_* variables (SASL, TLS).",
        ),
    ] = False,
    ca_file: Annotated[
        Path | None,
        typer.Option(envvar="AGORA_GRPC_CA_FILE", help="PEM CA bundle trusted for the services."),
    ] = None,
    client_cert: Annotated[
        Path | None,
        typer.Option(envvar="AGORA_GRPC_CLIENT_CERT", help="PEM client certificate (mutual TLS)."),
    ] = None,
    client_key: Annotated[
        Path | None,
        typer.Option(envvar="AGORA_GRPC_CLIENT_KEY", help="PEM key of the client certificate."),
    ] = None,
) -> None:
    """Global options come before the command: `agora --json --tenant acme catalog search`."""
    ctx.obj = CliConfig(
        tenant=tenant,
        user=user,
        roles=parse_roles(roles),
        token=token_,
        json=json_output,
        endpoints={
            Service.CATALOG: catalog_endpoint,
            Service.COMMUNITY: community_endpoint,
            Service.GAMIFICATION: gamification_endpoint,
            Service.NOTIFICATIONS: notifications_endpoint,
        },
        kafka=kafka,
        timeout=timeout,
        grpc_tls=_grpc_tls(tls, ca_file, client_cert, client_key),
    )


def _grpc_tls(
    tls: bool, ca_file: Path | None, cert: Path | None, key: Path | None
) -> GrpcTls | None:
    try:
        return grpc_tls(tls, ca_file, cert, key)
    except CliUsageError as error:
        raise typer.BadParameter(str(error)) from None


def main() -> None:
    """Console-script entry point."""
    app()
