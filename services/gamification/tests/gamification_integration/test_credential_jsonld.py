"""An exported Open Badges 3.0 credential is JSON-LD every term of which its contexts define.

Checked with a third-party processor, jsonld.js (``jsonld/expand.mjs``), against the W3C
VC 2.0 and 1EdTech OB 3.0.3 contexts as their npm packages publish them (the network to
w3.org and imsglobal.org cannot be reached here). The VC 2.0 context maps a term it does
not define to ``issuer-dependent#`` instead of dropping it, so "expands" is not enough:
the check also wants no such term. The negative cases show the check can fail: the
``credentialStatus.revoked`` term an outside verifier once found undefined, the status
type without the OB extensions context that defines it (this check found that one
missing), and a context the processor does not know.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Final

import pytest

from agora.gamification.v1 import gamification_pb2 as pb
from agora_core.runtime import ServiceRuntime
from agora_core.testing.event_tap import EventTap, publish_events
from agora_core.testing.grpc_assertions import caller
from agora_core.testing.npm_project import installed_npm_project

from .streams import WAIT, Stub, completed
from .test_engagement import new_tenant, public_get

pytestmark = pytest.mark.integration

JSONLD_TOOL: Final = Path(__file__).with_name("jsonld")
OB: Final = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
CRED: Final = "https://www.w3.org/2018/credentials#"
REVOCATION_LIST: Final = (
    "https://purl.imsglobal.org/spec/vcrl/v1p0/context.json#1EdTechRevocationList"
)


def expand(document: dict[str, Any]) -> dict[str, Any]:
    """jsonld.js's expansion of ``document`` and the undefined terms it used."""
    directory = installed_npm_project(JSONLD_TOOL, "credential-jsonld", ("expand.mjs",))
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the JSON-LD check"
    done = subprocess.run(  # noqa: S603 - node from PATH, our script, JSON on stdin
        [node, str(directory / "expand.mjs")],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise ValueError(done.stderr.strip())
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def terms(node: Any) -> set[str]:
    """Every property IRI and type IRI in an expanded document."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= terms(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@type":
                found |= set(value if isinstance(value, list) else [value])
            elif not key.startswith("@"):
                found.add(key)
            found |= terms(value)
    return found


async def exported_credential(stub: Stub, kafka_bootstrap: str, tap: EventTap) -> dict[str, Any]:
    """A badge awarded from a real event and exported through the real service."""
    tenant = new_tenant()
    admin = caller(("admin",), tenant=tenant)
    badge = pb.Badge(
        badge_id="first-step",
        name="First step",
        description="One item completed.",
        image_url="https://img.example/first.png",
        skill_ids=["sql"],
        criteria_narrative="Complete one item.",
        groups=[
            pb.RequirementGroup(
                requirements=[
                    pb.Requirement(event_type="org.agora.learning.knowledge.completed.v1", count=1)
                ]
            )
        ],
    )
    await stub.PutBadge(pb.PutBadgeRequest(badge=badge), metadata=admin)
    await publish_events(kafka_bootstrap, [completed(tenant, "ann", "k-1", skills=("sql",))])
    awarded = await tap.wait_for(
        timeout=WAIT,
        event_type="org.agora.gamification.badge.awarded.v1",
        tenant=tenant,
        subject="ann",
    )
    exported = await stub.ExportCredential(
        pb.ExportCredentialRequest(award_id=awarded[0].data["award_id"]), metadata=admin
    )
    credential: dict[str, Any] = json.loads(exported.credential_json)
    return credential


async def test_exported_credential_and_issuer_expand_with_every_term_defined(
    stub: Stub, tap: EventTap, kafka_bootstrap: str, service: ServiceRuntime
) -> None:
    credential = await exported_credential(stub, kafka_bootstrap, tap)
    result = await asyncio.to_thread(expand, credential)
    assert result["undefinedTerms"] == []
    used = terms(result["expanded"])
    assert {f"{CRED}VerifiableCredential", f"{OB}OpenBadgeCredential"} <= used
    assert {f"{OB}Achievement", f"{OB}achievement", f"{OB}Criteria", f"{OB}narrative"} <= used
    assert {f"{OB}alignment", f"{OB}targetType", f"{CRED}credentialStatus"} <= used
    assert {f"{CRED}validFrom", f"{CRED}issuer", f"{OB}Profile", REVOCATION_LIST} <= used

    # The issuer profile a verifier reads, with its key, is JSON-LD as well.
    code, issuer = await public_get(service, credential["issuer"]["id"])
    assert code == 200
    profile = await asyncio.to_thread(expand, issuer)
    assert profile["undefinedTerms"] == []
    assert {f"{OB}Profile", "https://w3id.org/security#publicKeyJwk"} <= terms(profile["expanded"])

    # The same check fails on what an outside verifier rejected before: a status term no
    # context defines, the status type without OB's extensions context (which defines
    # it), and a context the processor cannot resolve.
    status = {**credential["credentialStatus"], "revoked": True}
    with pytest.raises(ValueError, match='"property":"revoked"'):
        await asyncio.to_thread(expand, {**credential, "credentialStatus": status})
    without_extensions = {**credential, "@context": credential["@context"][:2]}
    with pytest.raises(ValueError, match="1EdTechRevocationList"):
        await asyncio.to_thread(expand, without_extensions)
    unknown = {**credential, "@context": [*credential["@context"], "https://example.org/ctx.json"]}
    with pytest.raises(ValueError, match="loading remote context failed"):
        await asyncio.to_thread(expand, unknown)
