"""The real ``agora`` command against the four real services, broker and database.

One platform per module; one tenant (with its catalogue) per module too, and a
learner per test where state matters. Effects that travel through Kafka (points,
inbox, path progress) are waited for by re-running the command.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jwt
import pytest

from agora_cli.config import Service
from agora_cli.errors import ExitCode
from agora_core.long_running.model import ReplayOperation
from agora_core.messaging.dead_letters import dlq_topic
from agora_core.postgres.operations_table import PostgresOperations
from agora_core.testing.event_tap import publish_raw, start_group_at_end
from agora_core.testing.grpc_assertions import DEV_SECRET

from .conftest import OPERATOR_TENANT, CliResult, Platform
from .seed import AUTHOR, Catalogue, seed_catalogue

pytestmark = pytest.mark.integration

COMPLETIONS = "agora.learning.completions.v1"
COMPLETED = "org.agora.learning.knowledge.completed.v1"


@pytest.fixture(scope="module")
async def catalogue(platform: Platform) -> Catalogue:
    return await seed_catalogue(platform, f"t-cli-{uuid.uuid4().hex[:8]}")


async def until(
    attempt: Callable[[], Awaitable[CliResult]],
    accept: Callable[[CliResult], bool],
    *,
    timeout: float = 90.0,
) -> CliResult:
    """Re-run a command until its result is acceptable (effects travel through Kafka)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await attempt()
        if accept(result):
            return result
        if loop.time() > deadline:
            raise AssertionError(f"never accepted; last result: {result}")
        await asyncio.sleep(0.5)


def ok_json(predicate: Callable[[Any], bool]) -> Callable[[CliResult], bool]:
    return lambda result: result.exit_code == 0 and predicate(json.loads(result.stdout))


async def test_search_filters_sorts_and_pages(platform: Platform, catalogue: Catalogue) -> None:
    tenant = catalogue.tenant
    first = (
        await platform.agora(
            "catalog",
            "search",
            "kafka",
            "--type",
            "wiki",
            "--sort",
            "recency",
            "--page-size",
            "1",
            tenant=tenant,
        )
    ).json()
    assert len(first["items"]) == 1
    assert first["next_page_token"]
    second = (
        await platform.agora(
            "catalog",
            "search",
            "kafka",
            "--type",
            "wiki",
            "--sort",
            "recency",
            "--page-size",
            "1",
            "--page-token",
            first["next_page_token"],
            tenant=tenant,
        )
    ).json()
    found = {first["items"][0]["item_id"], second["items"][0]["item_id"]}
    assert found == set(catalogue.kafka_items)
    # Recency: the newer of the two comes first.
    assert first["items"][0]["item_id"] == catalogue.kafka_items[1]
    assert first["items"][0]["type"] == "KNOWLEDGE_TYPE_WIKI"

    table = await platform.agora("catalog", "search", "rebase", tenant=tenant, json_output=False)
    assert table.exit_code == 0
    assert "Git rebase tips" in table.stdout
    assert "Kafka basics" not in table.stdout


async def test_complete_then_path_progress_and_points(
    platform: Platform, catalogue: Catalogue
) -> None:
    tenant, learner = catalogue.tenant, "u-ada"
    item = catalogue.kafka_items[0]
    enrolled = (
        await platform.agora("catalog", "enrol", catalogue.path_id, tenant=tenant, user=learner)
    ).json()
    assert enrolled["progress"]["path_id"] == catalogue.path_id

    done = (await platform.agora("catalog", "complete", item, tenant=tenant, user=learner)).json()
    assert done["newly_completed"] is True
    assert done["progress"]["completed"] is True
    again = (await platform.agora("catalog", "complete", item, tenant=tenant, user=learner)).json()
    assert again["newly_completed"] is False

    path = await until(
        lambda: platform.agora("catalog", "path", catalogue.path_id, tenant=tenant, user=learner),
        ok_json(lambda d: d["progress"] and item in d["progress"]["completed_item_ids"]),
    )
    progress = path.json()["progress"]
    assert (progress["mandatory_completed"], progress["completed"]) == (1, True)
    assert [s["item_id"] for s in path.json()["path"]["steps"]] == list(catalogue.kafka_items)
    shown = await platform.agora(
        "catalog", "path", catalogue.path_id, tenant=tenant, user=learner, json_output=False
    )
    assert "1/1 mandatory steps, completed" in shown.stdout

    # Gamification scores the completion from the event.
    profile = await until(
        lambda: platform.agora("gamification", "profile", tenant=tenant, user=learner),
        ok_json(lambda d: int(d["profile"]["points"]) > 0),
    )
    points = int(profile.json()["profile"]["points"])
    board = (
        await platform.agora(
            "gamification", "leaderboard", "--top", "5", "--around-me", tenant=tenant, user=learner
        )
    ).json()
    assert board["me"]["is_me"] is True
    assert int(board["me"]["points"]) >= points  # the path's completion may score meanwhile
    assert any(e["learner_id"] == learner for e in board["top"])
    assert any(e["is_me"] for e in board["around_me"])
    table = await platform.agora(
        "gamification",
        "leaderboard",
        "--around-me",
        tenant=tenant,
        user=learner,
        json_output=False,
    )
    assert "← you" in table.stdout

    events = (
        await platform.agora(
            "events",
            "tail",
            COMPLETIONS,
            "--from-beginning",
            "--type",
            COMPLETED,
            "--tenant",
            tenant,
            "--max",
            "1",
            "--idle-timeout",
            "60",
            tenant=tenant,
        )
    ).json_lines()
    assert len(events) == 1
    (event,) = events
    assert event["event"]["type"] == COMPLETED
    assert event["event"]["tenantid"] == tenant
    assert event["headers"]["ce_type"] == COMPLETED
    assert event["data"]["item_id"] == item
    assert event["data"]["learner_id"] == learner
    pretty = await platform.agora(
        "events",
        "tail",
        COMPLETIONS,
        "--from-beginning",
        "--type",
        COMPLETED,
        "--tenant",
        tenant,
        "--max",
        "1",
        "--idle-timeout",
        "60",
        tenant=tenant,
        json_output=False,
    )
    assert "ce_id" in pretty.stdout
    assert f'"item_id": "{item}"' in pretty.stdout


async def test_like_comment_and_the_mentioned_persons_inbox(
    platform: Platform, catalogue: Catalogue
) -> None:
    tenant, item = catalogue.tenant, catalogue.git_item
    # Community learns of the item from the catalogue's event.
    liked = await until(
        lambda: platform.agora("community", "like", item, tenant=tenant, user="u-lin"),
        lambda r: r.exit_code == 0,
    )
    assert liked.json()["changed"] is True
    assert (
        await platform.agora("community", "like", item, tenant=tenant, user="u-lin")
    ).json() == {"changed": False}

    posted = (
        await platform.agora(
            "community",
            "comment",
            item,
            "Nice one, @u-bob should read it",
            tenant=tenant,
            user="u-lin",
        )
    ).json()["comment"]
    assert posted["mentioned_user_ids"] == ["u-bob"]
    thread = (await platform.agora("community", "comments", item, tenant=tenant)).json()
    assert [c["comment_id"] for c in thread["comments"]] == [posted["comment_id"]]

    inbox = await until(
        lambda: platform.agora("notifications", "inbox", tenant=tenant, user="u-bob"),
        ok_json(lambda d: any(n["category"] == "mention" for n in d["notifications"])),
    )
    assert int(inbox.json()["unread"]) >= 1
    # The item's author hears of the comment too.
    await until(
        lambda: platform.agora("notifications", "inbox", "--unread", tenant=tenant, user=AUTHOR),
        ok_json(lambda d: any(n["category"] == "comment_posted" for n in d["notifications"])),
    )
    table = await platform.agora(
        "notifications", "inbox", tenant=tenant, user="u-bob", json_output=False
    )
    assert "mention" in table.stdout


def completion_headers(tenant: str) -> dict[str, str]:
    """CloudEvents headers of a completion (a fresh id), for records with a bad body."""
    return {
        "ce_specversion": "1.0",
        "ce_id": str(uuid.uuid4()),
        "ce_source": "/agora/tests",
        "ce_type": COMPLETED,
        "ce_time": "2026-11-23T10:00:00Z",
        "ce_subject": "k-1",
        "ce_tenantid": tenant,
        "content-type": "application/json",
    }


async def test_dead_letters_are_replayed_once_and_a_group_rewound(
    platform: Platform, catalogue: Catalogue
) -> None:
    tenant = f"t-poison-{uuid.uuid4().hex[:6]}"
    catalog_group = platform.runtimes[Service.CATALOG].settings.group_id
    headers = completion_headers(tenant)
    await publish_raw(platform.kafka, COMPLETIONS, b'{"not": "a completion"}', headers, b"u-x")

    operator: dict[str, Any] = {"tenant": OPERATOR_TENANT, "user": "u-ops", "roles": "admin"}
    replay = [
        "ops",
        "replay-dlq",
        COMPLETIONS,
        "--only-tenant",
        tenant,
        "--failed-group",
        catalog_group,
    ]
    # Each consuming service dead-letters its own copy; the catalog's is replayed.
    dry = await until(
        lambda: platform.agora(*replay, "--dry-run", **operator),
        ok_json(lambda d: d["matched"] == "1"),
    )
    assert (dry.json()["replayed"], dry.json()["dry_run"]) == ("0", True)
    first = (await platform.agora(*replay, **operator)).json()
    assert (first["matched"], first["replayed"]) == ("1", "1")
    assert first["dead_letter_topic"] == dlq_topic(COMPLETIONS)
    assert int(first["read"]) >= 4  # a copy per consuming service, older records too
    # Nothing was fixed, so the record fails again and comes back to the DLQ as a new
    # record; the replayer reads only what is new since its last run, never the four
    # it has already been through.
    again = await until(
        lambda: platform.agora(*replay, "--dry-run", **operator),
        ok_json(lambda d: d["matched"] == "1"),
    )
    assert 1 <= int(again.json()["read"]) <= 4
    assert again.json()["replayer_group"] == first["replayer_group"]
    human = await platform.agora(*replay, "--dry-run", **operator, json_output=False)
    assert "progress kept in consumer group" in human.stdout
    # Every service serves the operations, without a line of its own.
    for service in (Service.COMMUNITY, Service.GAMIFICATION, Service.NOTIFICATIONS):
        via = await platform.agora(*replay, "--dry-run", "--via", service.value, **operator)
        assert via.json()["replayer_group"] == first["replayer_group"], service

    rewound = (
        await platform.agora("ops", "rewind", "catalog", COMPLETIONS, "--at", "10m", **operator)
    ).json()
    assert rewound["group_id"] == catalog_group
    assert rewound["service"] == "catalog"
    assert rewound["partitions"]
    assert all(int(p["offset"]) <= int(p["previous_offset"]) for p in rewound["partitions"])

    # Straight on Kafka: refused while the catalog runs, done for a group with no member.
    live = await platform.agora(
        "ops", "rewind-group", catalog_group, COMPLETIONS, "--at", "10m", **operator
    )
    assert live.exit_code == ExitCode.CONFLICT
    assert "live members" in live.error()["error"]["message"]
    idle_group = f"agora-idle-{uuid.uuid4().hex[:6]}"
    await start_group_at_end(platform.kafka, idle_group, [COMPLETIONS])
    idle = (
        await platform.agora(
            "ops", "rewind-group", idle_group, COMPLETIONS, "--at", "10m", **operator
        )
    ).json()
    assert idle["group_id"] == idle_group
    moved = [p for p in idle["partitions"] if int(p["offset"]) < int(p["previous_offset"])]
    assert moved  # this test's completions and poison record are within the last 10 minutes


async def test_a_replay_is_followed_with_a_progress_bar_and_operations_are_managed(
    platform: Platform, catalogue: Catalogue
) -> None:
    tenant = f"t-lro-{uuid.uuid4().hex[:6]}"
    for _ in range(3):
        await publish_raw(
            platform.kafka,
            dlq_topic(COMPLETIONS),
            b'{"not": "a completion"}',
            completion_headers(tenant),
            b"u-x",
        )
    admin: dict[str, Any] = {"tenant": tenant, "user": "u-admin", "roles": "admin"}
    replay = ["ops", "replay-dlq", COMPLETIONS, "--dry-run", "--via", "gamification"]

    # A person's view: the bar on stderr (final state: 3 of 3 read), the table on stdout.
    shown = await platform.agora(*replay, **admin, json_output=False)
    assert shown.exit_code == 0, shown
    assert dlq_topic(COMPLETIONS) in shown.stderr
    assert "read · 0 replayed" in shown.stderr
    assert "operations/" in shown.stdout
    assert "dry run" in shown.stdout

    started = (await platform.agora(*replay, "--no-wait", **admin)).json()
    name = started["name"]
    assert name.startswith("operations/")
    waited = await platform.agora(
        "ops", "operations", "wait", name, "--via", "gamification", **admin
    )
    done = waited.json()
    assert done["done"] is True
    assert done["response"]["matched"] == "3"
    # An operation lives in the database of the service that ran it (any of its replicas).
    elsewhere = await platform.agora("ops", "operations", "get", name, **admin)
    assert elsewhere.exit_code == ExitCode.NOT_FOUND
    listed = (
        await platform.agora(
            "ops", "operations", "list", "--done", "--via", "gamification", **admin
        )
    ).json()
    assert name in [operation["name"] for operation in listed["operations"]]
    other = {**admin, "tenant": f"{tenant}-other"}
    hidden = await platform.agora(
        "ops", "operations", "get", name, "--via", "gamification", **other
    )
    assert hidden.exit_code == ExitCode.NOT_FOUND

    # An operation whose runner died reads as failed, and waiting on it exits non-zero.
    runtime = platform.runtimes[Service.GAMIFICATION]
    store = PostgresOperations(runtime.require_postgres())
    dead = await store.create(
        ReplayOperation.new(
            tenant,
            topic=COMPLETIONS,
            dead_letter_topic=dlq_topic(COMPLETIONS),
            replayer_group="agora-ops.dlq-replay.cli-test",
            dry_run=False,
        ),
        runner="gone",
        lease_seconds=1,
    )
    failed = await platform.agora(
        "ops", "operations", "wait", dead.name, "--via", "gamification", **admin, json_output=False
    )
    assert failed.exit_code == ExitCode.CONFLICT, failed
    assert "ABORTED" in failed.stdout
    cancel = await platform.agora(
        "ops", "operations", "cancel", dead.name, "--via", "gamification", **admin
    )
    assert cancel.json() == {"name": dead.name, "cancel_requested": True}


async def test_errors_show_the_code_and_fields_and_exit_non_zero(
    platform: Platform, catalogue: Catalogue
) -> None:
    tenant = catalogue.tenant
    missing = await platform.agora("catalog", "item", "k-does-not-exist", tenant=tenant)
    assert missing.exit_code == ExitCode.NOT_FOUND
    assert missing.error()["error"]["code"] == "NOT_FOUND"
    assert missing.error()["error"]["service"] == "catalog"

    empty = await platform.agora("community", "comment", catalogue.git_item, "", tenant=tenant)
    assert empty.exit_code == ExitCode.INVALID_ARGUMENT
    assert "body" in empty.error()["error"]["field_violations"]
    shown = await platform.agora(
        "community", "comment", catalogue.git_item, "", tenant=tenant, json_output=False
    )
    assert shown.exit_code == ExitCode.INVALID_ARGUMENT
    assert "INVALID_ARGUMENT" in shown.stderr
    assert "body" in shown.stderr

    bad_topic = await platform.agora(
        "ops",
        "replay-dlq",
        "agora.nowhere.things.v1",
        tenant=OPERATOR_TENANT,
        roles="admin",
    )
    assert bad_topic.exit_code == ExitCode.INVALID_ARGUMENT
    assert "topic" in bad_topic.error()["error"]["field_violations"]

    learner = await platform.agora("ops", "replay-dlq", COMPLETIONS, tenant=tenant)
    assert learner.exit_code == ExitCode.PERMISSION
    assert learner.error()["error"]["code"] == "PERMISSION_DENIED"

    bad_time = await platform.agora(
        "ops",
        "rewind",
        "catalog",
        COMPLETIONS,
        "--at",
        "yesterday-ish",
        tenant=OPERATOR_TENANT,
        roles="admin",
    )
    assert bad_time.exit_code == ExitCode.USAGE
    assert "yesterday-ish" in bad_time.stderr

    unreachable = await platform.agora(
        "--catalog", "127.0.0.1:1", "--timeout", "5", "catalog", "search", tenant=tenant
    )
    assert unreachable.exit_code == ExitCode.UNAVAILABLE
    assert unreachable.error()["error"]["code"] == "UNAVAILABLE"


async def test_the_installed_console_script(platform: Platform, catalogue: Catalogue) -> None:
    script = Path(sys.executable).with_name("agora")
    assert script.exists(), f"{script} missing: is agora-cli in the workspace install?"
    process = await asyncio.create_subprocess_exec(
        str(script),
        *platform.endpoint_args(),
        "--tenant",
        catalogue.tenant,
        "--json",
        "catalog",
        "search",
        "kafka",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "AGORA_JWT_HS256_SECRET": DEV_SECRET},
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    titles = {item["title"] for item in json.loads(stdout)["items"]}
    assert titles == {"Kafka basics", "Kafka consumer groups"}

    process = await asyncio.create_subprocess_exec(
        str(script),
        "--json",
        "token",
        "mint",
        "--sub",
        "u-cli",
        "--tenant",
        "acme",
        "--roles",
        "admin,learner",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "AGORA_JWT_HS256_SECRET": DEV_SECRET},
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    minted = json.loads(stdout)
    claims = jwt.decode(minted["token"], DEV_SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["tenant"], claims["roles"]) == (
        "u-cli",
        "acme",
        ["admin", "learner"],
    )
