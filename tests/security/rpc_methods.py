"""Every gRPC method of every Agora service, found from the generated descriptors.

Nothing here lists methods by hand: a method added to a ``.proto`` is in the matrix and
the fuzzing on the next run. The services' access rules are found the same way, by
collecting the :class:`MethodPolicy` objects their gRPC modules declare.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc.aio
from google.protobuf.descriptor import (
    Descriptor,
    FieldDescriptor,
    MethodDescriptor,
    ServiceDescriptor,
)
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

import agora
from agora_core.grpc.auth import Role
from agora_core.grpc.operations_servicer import OPERATIONS_POLICY
from agora_core.grpc.policy import MethodPolicy

SERVICE_PACKAGES = ("agora_catalog", "agora_community", "agora_gamification", "agora_notifications")
"""The services of the platform (their ``entrypoints.grpc_api`` declare the policies)."""

_NOT_PLATFORM = ("agora.testing.",)  # the notes service of agora-core's own tests


@dataclass(frozen=True)
class RpcMethod:
    """One unary method: its descriptor and a way to call it on a channel."""

    descriptor: MethodDescriptor

    @property
    def service(self) -> str:
        return str(self.descriptor.containing_service.full_name)

    @property
    def name(self) -> str:
        return str(self.descriptor.name)

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.name}"

    @property
    def input_type(self) -> Descriptor:
        return self.descriptor.input_type

    def request(self, **fields: Any) -> Message:
        """A request message of this method (empty, or with ``fields``)."""
        return GetMessageClass(self.input_type)(**fields)

    async def call(
        self,
        channel: grpc.aio.Channel,
        request: Message,
        metadata: tuple[tuple[str, str], ...] = (),
        timeout: float = 30.0,
    ) -> Message:
        """Call the method; raises ``grpc.aio.AioRpcError`` on a non-OK status."""
        response_class = GetMessageClass(self.descriptor.output_type)
        callable_ = channel.unary_unary(
            self.path,
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=response_class.FromString,
        )
        response: Message = await callable_(request, metadata=metadata, timeout=timeout)
        return response

    def __str__(self) -> str:
        return f"{self.service.rsplit('.', 1)[-1]}.{self.name}"


def _generated_modules() -> Iterator[ModuleType]:
    # agora.* are namespace packages (no __init__.py), which pkgutil does not walk.
    for root in map(Path, agora.__path__):
        for file in sorted(root.rglob("*_pb2.py")):
            name = ".".join(("agora", *file.relative_to(root).with_suffix("").parts))
            if not name.startswith(_NOT_PLATFORM):
                yield importlib.import_module(name)


@cache
def platform_services() -> tuple[ServiceDescriptor, ...]:
    """Every gRPC service declared by the platform's generated modules."""
    services = {
        service.full_name: service
        for module in _generated_modules()
        for service in module.DESCRIPTOR.services_by_name.values()
    }
    return tuple(services[name] for name in sorted(services))


@cache
def all_methods() -> tuple[RpcMethod, ...]:
    """Every method of every platform service (all are unary-unary)."""
    methods = []
    for service in platform_services():
        for method in service.methods:
            streams = method.client_streaming or method.server_streaming
            assert not streams, f"{service.full_name}/{method.name} streams: teach the suite"
            methods.append(RpcMethod(method))
    return tuple(methods)


@cache
def platform_policy() -> MethodPolicy:
    """The merged access policy the services declare next to their servicers."""
    # The operations service is mounted on every server by agora-core itself.
    policies: list[MethodPolicy] = [OPERATIONS_POLICY]
    for package in SERVICE_PACKAGES:
        entrypoints = importlib.import_module(f"{package}.entrypoints")
        for info in pkgutil.iter_modules(entrypoints.__path__):
            module = importlib.import_module(f"{package}.entrypoints.{info.name}")
            policies.extend(v for v in vars(module).values() if isinstance(v, MethodPolicy))
    first, *rest = policies
    return first.merge(*rest)


def required_roles(method: RpcMethod) -> frozenset[Role]:
    """Roles of which the caller needs one (empty: any authenticated caller)."""
    roles = platform_policy().roles_for(method.path)
    assert roles is not None, f"{method.path} has no access policy"
    return roles


def message_type(field: FieldDescriptor) -> Descriptor:
    """The message type of a message field."""
    assert field.message_type is not None, f"{field.full_name} is not a message field"
    return field.message_type


def is_map(field: FieldDescriptor) -> bool:
    """A ``map<k, v>`` field (a repeated message of generated map entries)."""
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def enum_numbers(field: FieldDescriptor) -> list[int]:
    """The numbers an enum field declares."""
    assert field.enum_type is not None, f"{field.full_name} is not an enum field"
    return [value.number for value in field.enum_type.values]
