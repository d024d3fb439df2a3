"""Running one command: an event loop, channels to the services, errors to exit codes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

import grpc
import grpc.aio
import typer

from agora_cli.config import CliConfig, CliUsageError, Service
from agora_cli.connections import open_channel
from agora_cli.errors import CliFailure, ExitCode, report_problem, report_rpc_error

T = TypeVar("T")


class Session:
    """Channels to the services a command talks to, the caller's metadata, a deadline."""

    def __init__(self, config: CliConfig) -> None:
        self.config = config
        self._channels: dict[Service, grpc.aio.Channel] = {}
        self._metadata: tuple[tuple[str, str], ...] | None = None
        self.current_service: Service | None = None

    def channel(self, service: Service) -> grpc.aio.Channel:
        """The channel to ``service``; also remembers it as the one being called."""
        self.current_service = service
        if service not in self._channels:
            self._channels[service] = open_channel(
                self.config.endpoint(service), self.config.grpc_tls
            )
        return self._channels[service]

    def stub(self, service: Service, stub_class: Callable[[grpc.aio.Channel], Any]) -> Any:
        return stub_class(self.channel(service))

    @property
    def call_options(self) -> dict[str, Any]:
        """``metadata`` (the bearer token) and ``timeout`` for a stub call."""
        if self._metadata is None:
            from agora_core.grpc.client import bearer_metadata  # heavy: imported on use

            self._metadata = bearer_metadata(self.config.bearer_token())
        return {"metadata": self._metadata, "timeout": self.config.timeout}

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for channel in self._channels.values():
            await channel.close(None)


def run(config: CliConfig, action: Callable[[Session], Awaitable[T]]) -> T:
    """Run ``action`` in a fresh event loop; turn failures into messages and exit codes."""
    session = Session(config)

    async def main() -> T:
        async with session:
            return await action(session)

    try:
        return asyncio.run(main())
    except grpc.aio.AioRpcError as error:
        service = session.current_service.value if session.current_service else "service"
        raise typer.Exit(report_rpc_error(error, service, json_mode=config.json)) from None
    except CliUsageError as error:
        report_problem(str(error), json_mode=config.json, code="USAGE")
        raise typer.Exit(ExitCode.USAGE) from None
    except CliFailure as error:
        report_problem(str(error), json_mode=config.json, code=error.code_name)
        raise typer.Exit(error.exit_code) from None
    except Exception as error:
        if not _is_kafka_error(error):
            raise
        report_problem(
            f"Kafka at {config.kafka}: {error!r}", json_mode=config.json, code="UNAVAILABLE"
        )
        raise typer.Exit(ExitCode.UNAVAILABLE) from None


def _is_kafka_error(error: Exception) -> bool:
    # aiokafka is imported only when something failed: most commands never need it.
    from aiokafka.errors import KafkaError

    return isinstance(error, KafkaError)
