"""Auth matrix: every method of every service, called with every kind of bad credential.

The methods come from the generated descriptors and the required roles from the
services' own :class:`MethodPolicy` objects, so a new method is covered without
editing this file.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import grpc
import grpc.aio
import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.text_format import MessageToString

from agora_core.grpc.auth import Role
from agora_core.grpc.dev_tokens import mint_dev_token
from agora_core.testing.grpc_assertions import assert_status

from .platform_stack import ALL_ROLES, Metadata, Platform
from .rpc_methods import (
    RpcMethod,
    all_methods,
    enum_numbers,
    is_map,
    message_type,
    platform_services,
    required_roles,
)
from .tenant_data import LEARNER, OWNER, TenantData, write_tenant_data

pytestmark = [pytest.mark.security, pytest.mark.integration]

METHODS = all_methods()


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(tenant: str) -> dict[str, object]:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    roles = list(ALL_ROLES)
    return {"sub": OWNER, "tenant": tenant, "roles": roles, "exp": int(expires.timestamp())}


@dataclass(frozen=True)
class BadCredential:
    """A way of presenting a credential the server must refuse with UNAUTHENTICATED."""

    name: str
    metadata: Callable[[Platform, str], Metadata]
    code: grpc.StatusCode = grpc.StatusCode.UNAUTHENTICATED


BAD_CREDENTIALS = (
    BadCredential("no-token", lambda p, t: ()),
    BadCredential(
        "expired",
        lambda p, t: (
            (
                "authorization",
                "Bearer "
                + mint_dev_token(
                    p.secrets.jwt_secret, OWNER, t, ALL_ROLES, ttl=-dt.timedelta(minutes=5)
                ),
            ),
        ),
    ),
    BadCredential(
        "other-key",
        lambda p, t: (
            (
                "authorization",
                "Bearer " + mint_dev_token("another-key-" + "x" * 40, OWNER, t, ALL_ROLES),
            ),
        ),
    ),
    BadCredential(
        "alg-none",
        lambda p, t: (
            (
                "authorization",
                f"Bearer {_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(t))}.",
            ),
        ),
    ),
    BadCredential(
        "alg-none-signed-looking",
        lambda p, t: (
            (
                "authorization",
                f"Bearer {_b64({'alg': 'None', 'typ': 'JWT'})}.{_b64(_claims(t))}.c2ln",
            ),
        ),
    ),
    BadCredential("no-bearer-prefix", lambda p, t: (("authorization", p.token(t)),)),
    BadCredential("wrong-scheme", lambda p, t: (("authorization", f"Basic {p.token(t)}"),)),
    BadCredential("garbage", lambda p, t: (("authorization", "Bearer !!not/a|token$$ %%"),)),
    BadCredential("three-garbage-parts", lambda p, t: (("authorization", "Bearer aaa.bbb.ccc"),)),
    BadCredential("empty-bearer", lambda p, t: (("authorization", "Bearer "),)),
    BadCredential(
        "two-authorizations",
        lambda p, t: (
            ("authorization", f"Bearer {p.token(t)}"),
            ("authorization", f"Bearer {p.token(t)}"),
        ),
    ),
    # Well under gRPC's 8 KiB metadata soft limit (above it calls fail at random): the
    # verifier parses it and refuses it.
    BadCredential("long-token", lambda p, t: (("authorization", "Bearer " + "A" * 6_000),)),
    # Over it: the transport refuses the call before any Agora code runs.
    BadCredential(
        "huge-token",
        lambda p, t: (("authorization", "Bearer " + "A" * 100_000),),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    ),
)


def _no_credential_echoed(error: grpc.aio.AioRpcError, metadata: Metadata) -> None:
    details = error.details() or ""
    for _, value in metadata:
        credential = value.split(" ", 1)[-1].strip()
        if len(credential) >= 8:
            assert credential not in details, f"the error echoes the credential: {details!r}"


def test_every_hosted_service_is_enumerated(platform: Platform) -> None:
    """The servers host exactly the services the descriptors declare, nothing unchecked."""
    hosted = {name for name, _ in platform.channels()}
    assert hosted == {service.full_name for service in platform_services()}
    assert len(METHODS) >= 90  # the four services' APIs, not an empty enumeration


@pytest.mark.parametrize("credential", BAD_CREDENTIALS, ids=lambda c: c.name)
@pytest.mark.parametrize("rpc", METHODS, ids=str)
async def test_bad_credentials_are_unauthenticated(
    platform: Platform, rpc: RpcMethod, credential: BadCredential
) -> None:
    tenant = f"t-auth-{uuid.uuid4().hex[:8]}"
    metadata = credential.metadata(platform, tenant)
    channel = channel_for(platform, rpc)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await rpc.call(channel, rpc.request(), metadata)
    error = assert_status(raised, credential.code)
    _no_credential_echoed(error, metadata)


ROLE_LIMITED = [m for m in METHODS if required_roles(m) and set(Role) - required_roles(m)]


@pytest.mark.parametrize("rpc", ROLE_LIMITED, ids=str)
async def test_missing_role_is_permission_denied(platform: Platform, rpc: RpcMethod) -> None:
    """Every role but the ones the policy names: refused before the handler runs."""
    others = sorted(set(Role) - required_roles(rpc))
    metadata = platform.caller(f"t-role-{uuid.uuid4().hex[:8]}", roles=others)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await rpc.call(channel_for(platform, rpc), rpc.request(), metadata)
    assert_status(raised, grpc.StatusCode.PERMISSION_DENIED)


def channel_for(platform: Platform, rpc: RpcMethod) -> grpc.aio.Channel:
    return dict(platform.channels())[rpc.service]


# -- tenant isolation ---------------------------------------------------------------------

# Request fields naming something of another kind than their name says.
ID_ALIASES = {
    "target_id": "item_id",
    "parent_comment_id": "comment_id",
    "quiz_item_id": "item_id",
    "scope_id": "space_id",
    "id": "item_id",  # community's Target.id, with the first target type (knowledge)
}
PERSON_FIELDS = {"learner_id", "user_id", "recipient_id", "person_id"}


def filled(descriptor: Descriptor, data: TenantData, depth: int = 0) -> dict[str, object]:
    """Request fields pointing at the tenant's data: ids by name, first real enum value."""
    fields: dict[str, object] = {}
    for f in descriptor.fields:
        if f.type == FieldDescriptor.TYPE_STRING:
            singular = f.name[:-1] if f.is_repeated and f.name.endswith("_ids") else f.name
            value = (
                LEARNER
                if singular in PERSON_FIELDS
                else data.ids.get(ID_ALIASES.get(singular, singular))
            )
            if value:
                fields[f.name] = [value] if f.is_repeated else value
        elif f.type == FieldDescriptor.TYPE_ENUM and not f.is_repeated:
            values = [number for number in enum_numbers(f) if number != 0]
            if values:
                fields[f.name] = values[0]
        elif (
            f.type == FieldDescriptor.TYPE_MESSAGE
            and not is_map(f)
            and message_type(f).full_name != "google.protobuf.Timestamp"
            and depth < 3
        ):
            nested = filled(message_type(f), data, depth + 1)
            if nested:
                fields[f.name] = [nested] if f.is_repeated else nested
    return fields


def _strings(message: Message) -> Iterator[str]:
    for descriptor, value in message.ListFields():
        if descriptor.type == FieldDescriptor.TYPE_MESSAGE:
            if is_map(descriptor):
                for key, item in value.items():
                    yield str(key)
                    if isinstance(item, Message):
                        yield from _strings(item)
                    else:
                        yield str(item)
                continue
            for nested in value if descriptor.is_repeated else [value]:
                yield from _strings(nested)
        elif descriptor.type == FieldDescriptor.TYPE_STRING:
            yield from (value if descriptor.is_repeated else [value])


async def _outcome(
    rpc: RpcMethod, channel: grpc.aio.Channel, request: Message, metadata: Metadata
) -> tuple[grpc.StatusCode, Message | None, str]:
    try:
        response = await rpc.call(channel, request, metadata)
    except grpc.aio.AioRpcError as error:
        return error.code(), None, error.details() or ""
    return grpc.StatusCode.OK, response, ""


WHEN_OWNER_SUCCEEDS = {
    grpc.StatusCode.OK,  # only with none of the owner's data: checked below
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.INVALID_ARGUMENT,  # a reference unknown in the caller's tenant
}
"""What another tenant may get for a request that works for the data's owner: an answer
saying the thing exists (FAILED_PRECONDITION on its state, PERMISSION_DENIED on its
author) would leak it."""

READ_PREFIXES = ("Get", "List", "Search", "Discover", "Find")


async def test_another_tenant_sees_and_changes_nothing(platform: Platform) -> None:
    marker = f"A-ONLY-{uuid.uuid4().hex}"
    owner = f"t-own-{uuid.uuid4().hex[:8]}"
    intruder = f"t-int-{uuid.uuid4().hex[:8]}"
    data = await write_tenant_data(platform, owner, lambda label: f"{label} {marker}")
    assert {"item_id", "path_id", "space_id", "comment_id", "question_id", "answer_id"} <= set(
        data.ids
    ), data.ids

    requests = {rpc: rpc.request(**filled(rpc.input_type, data)) for rpc in METHODS}
    reads = [rpc for rpc in METHODS if rpc.name.startswith(READ_PREFIXES)]

    async def owner_view() -> dict[str, tuple[str, list[str]]]:
        view = {}
        for rpc in reads:
            code, response, _ = await _outcome(
                rpc, channel_for(platform, rpc), requests[rpc], platform.caller(owner)
            )
            view[str(rpc)] = (code.name, sorted(_strings(response)) if response else [])
        return view

    before = await owner_view()
    assert any(marker in " ".join(strings) for _, strings in before.values())

    # Same person name, same roles, another tenant: every method, pointed at A's data.
    intruder_outcomes = {}
    for rpc in METHODS:
        code, response, details = await _outcome(
            rpc, channel_for(platform, rpc), requests[rpc], platform.caller(intruder)
        )
        intruder_outcomes[rpc] = code
        assert code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (
            f"{rpc}: {code.name} {details}"
        )
        shown = details + (MessageToString(response) if response is not None else "")
        assert marker not in shown, f"{rpc} shows tenant A's data to tenant B: {shown[:500]}"

    after = await owner_view()
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"tenant B's calls changed what tenant A sees: {changed}"

    # The owner's own calls (reads and writes, last) tell which requests were valid.
    leaks, refused = [], []
    for rpc in [*reads, *(m for m in METHODS if m not in reads)]:
        code, _, _ = await _outcome(
            rpc, channel_for(platform, rpc), requests[rpc], platform.caller(owner)
        )
        if code == grpc.StatusCode.OK and intruder_outcomes[rpc] not in WHEN_OWNER_SUCCEEDS:
            leaks.append(f"{rpc}: {intruder_outcomes[rpc].name}")
        if code == grpc.StatusCode.OK and intruder_outcomes[rpc] == grpc.StatusCode.NOT_FOUND:
            refused.append(str(rpc))
    assert not leaks, f"answers that reveal another tenant's data exists: {leaks}"
    # The check above only means something if the requests really hit the owner's data.
    assert len(refused) >= 15, f"only {refused} worked for the owner and not for another tenant"
