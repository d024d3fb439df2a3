"""The CloudNativePG example (``deploy/helm/examples/cloudnativepg.yaml``) says what the
services need: a role and a database per service with the extensions, PgBouncer in
transaction mode, backups to object storage, and the DSN host the production values use.

Built-in kinds are validated by ``kubernetes-validate --strict``; the operator's kinds
are read for the fields Agora relies on (no CRD schemas are bundled here).
"""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
import yaml

from .helm_chart import PRODUCTION_VALUES
from .layout import CNPG_EXAMPLE, SERVICES

pytestmark = pytest.mark.deploy

CNPG = "postgresql.cnpg.io/v1"
BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io"


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(CNPG_EXAMPLE.read_text()) if d]


def only(documents: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in documents if d["kind"] == kind]


def test_built_in_kinds_are_valid(documents: list[dict[str, Any]]) -> None:
    built_in = [d for d in documents if d["apiVersion"] == "v1"]
    assert built_in
    for document in built_in:
        kubernetes_validate.validate(document, "1.33.0", strict=True)


def test_a_login_role_and_an_owned_database_per_service(
    documents: list[dict[str, Any]],
) -> None:
    (cluster,) = only(documents, "Cluster")
    assert cluster["apiVersion"] == CNPG
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    databases = {d["spec"]["name"]: d["spec"] for d in only(documents, "Database")}
    assert set(roles) == set(databases) == {spec.database for spec in SERVICES}
    for name, database in databases.items():
        assert roles[name]["login"] is True
        assert roles[name]["ensure"] == "present"
        assert roles[name]["passwordSecret"]["name"] == name.replace("_", "-") + "-db"
        assert database["owner"] == name
        assert database["cluster"]["name"] == cluster["metadata"]["name"]
        extensions = {e["name"] for e in database["extensions"] if e["ensure"] == "present"}
        assert {"unaccent", "pg_trgm"} <= extensions
    # Each service role may open only the database of its own name.
    hba = cluster["spec"]["postgresql"]["pg_hba"]
    assert hba[0].split()[:2] == ["host", "sameuser"]
    assert hba[1].split()[-1] == "reject"


def test_pgbouncer_pools_transactions_in_front_of_the_primary(
    documents: list[dict[str, Any]],
) -> None:
    (pooler,) = only(documents, "Pooler")
    (cluster,) = only(documents, "Cluster")
    assert pooler["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert pooler["spec"]["type"] == "rw"
    assert pooler["spec"]["pgbouncer"]["poolMode"] == "transaction"
    # The production values point every service at this Pooler's Service.
    host = f"{pooler['metadata']['name']}.agora-db.svc:5432"
    text = PRODUCTION_VALUES.read_text()
    for spec in SERVICES:
        assert f"@{host}/{spec.database}" in text, spec.name


def test_wal_archive_and_nightly_backups_go_to_object_storage(
    documents: list[dict[str, Any]],
) -> None:
    (cluster,) = only(documents, "Cluster")
    (store,) = only(documents, "ObjectStore")
    (plugin,) = cluster["spec"]["plugins"]
    assert plugin["name"] == BARMAN_PLUGIN
    assert plugin["isWALArchiver"] is True  # continuous archiving: point-in-time recovery
    assert plugin["parameters"]["barmanObjectName"] == store["metadata"]["name"]
    assert store["spec"]["configuration"]["destinationPath"].startswith("s3://")
    (schedule,) = only(documents, "ScheduledBackup")
    assert schedule["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert schedule["spec"]["method"] == "plugin"
    assert schedule["spec"]["pluginConfiguration"]["name"] == BARMAN_PLUGIN
    assert len(schedule["spec"]["schedule"].split()) == 6  # CloudNativePG's cron has seconds
