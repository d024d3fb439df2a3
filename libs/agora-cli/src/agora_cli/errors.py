"""Exit codes and how failures are shown.

A gRPC failure prints its status code name, the service that answered, the message
and every ``google.rpc.BadRequest`` field violation, on stderr (a JSON object with
``--json``), and exits with a code per class of failure, so scripts can branch on it.
"""

from __future__ import annotations

import json
import sys
from enum import IntEnum

import grpc
import grpc.aio
from rich.console import Console

from agora_core.grpc.status_details import field_violations


class ExitCode(IntEnum):
    """What ``agora`` exits with."""

    OK = 0
    FAILURE = 1
    """Anything else: an internal error of a service, a bug."""
    USAGE = 2
    """The command line itself is wrong (also click's code for bad options)."""
    INVALID_ARGUMENT = 3
    NOT_FOUND = 4
    PERMISSION = 5
    """PERMISSION_DENIED or UNAUTHENTICATED: the token lacks a role, or is refused."""
    CONFLICT = 6
    """ALREADY_EXISTS, FAILED_PRECONDITION or ABORTED: the state does not allow it."""
    UNAVAILABLE = 7
    """UNAVAILABLE or DEADLINE_EXCEEDED: the service (or broker) cannot be reached."""
    RATE_LIMITED = 8


class CliFailure(Exception):
    """A failure that is not a gRPC status, with the exit code it maps to."""

    def __init__(self, message: str, exit_code: ExitCode, code_name: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.code_name = code_name


_BY_STATUS: dict[grpc.StatusCode, ExitCode] = {
    grpc.StatusCode.INVALID_ARGUMENT: ExitCode.INVALID_ARGUMENT,
    grpc.StatusCode.OUT_OF_RANGE: ExitCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND: ExitCode.NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED: ExitCode.PERMISSION,
    grpc.StatusCode.UNAUTHENTICATED: ExitCode.PERMISSION,
    grpc.StatusCode.ALREADY_EXISTS: ExitCode.CONFLICT,
    grpc.StatusCode.FAILED_PRECONDITION: ExitCode.CONFLICT,
    grpc.StatusCode.ABORTED: ExitCode.CONFLICT,
    grpc.StatusCode.UNAVAILABLE: ExitCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: ExitCode.UNAVAILABLE,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ExitCode.RATE_LIMITED,
}


def exit_code_for(code: grpc.StatusCode) -> ExitCode:
    return _BY_STATUS.get(code, ExitCode.FAILURE)


def report_rpc_error(error: grpc.aio.AioRpcError, service: str, *, json_mode: bool) -> ExitCode:
    """Show ``error`` on stderr; return the exit code for it."""
    violations = field_violations(error)
    code = error.code()
    if json_mode:
        document = {
            "error": {
                "code": code.name,
                "service": service,
                "message": error.details() or "",
                "field_violations": violations,
            }
        }
        print(json.dumps(document, sort_keys=True, indent=2), file=sys.stderr)
    else:
        console = Console(stderr=True, highlight=False)
        console.print(f"[bold red]error:[/] {code.name} from {service}: {error.details() or ''}")
        for field, description in violations.items():
            console.print(f"  [bold]{field}[/]: {description}")
    return exit_code_for(code)


def report_problem(message: str, *, json_mode: bool, code: str) -> None:
    """Show a failure that is not a gRPC status (usage, broker unreachable…)."""
    if json_mode:
        print(json.dumps({"error": {"code": code, "message": message}}), file=sys.stderr)
    else:
        Console(stderr=True, highlight=False).print(f"[bold red]error:[/] {message}")
