"""The local PostgreSQL (deploy/local/postgres.sh) on the real server: one database and
one login role per service, and no service can read another's data.

Runs against the test environment's server (``make infra-up``; superuser DSN from
``AGORA_TEST_POSTGRES_DSN``); the service roles' DSNs are derived from its host and port
with the development passwords the script provisions (``agora-local-<service>``).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

pytestmark = pytest.mark.integration

SERVICES = ("catalog", "community", "gamification", "notifications")


def service_dsn(admin_dsn: str, service: str, database: str | None = None) -> str:
    """``service``'s login role on ``database`` (default: its own), same server."""
    return make_conninfo(
        admin_dsn,
        user=f"agora_{service}",
        password=f"agora-local-{service}",
        dbname=database or f"agora_{service}",
        connect_timeout=5,
    )


def admin_on(admin_dsn: str, database: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(make_conninfo(admin_dsn, dbname=database), autocommit=True)


@pytest.fixture
def community_secret(postgres_admin_dsn: str) -> Iterator[str]:
    """A table of community's, written by community's own role; dropped afterwards."""
    table = f"secret_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(service_dsn(postgres_admin_dsn, "community"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE TABLE {} (note text)").format(sql.Identifier(table)))
        conn.execute(
            sql.SQL("INSERT INTO {} VALUES ('community only')").format(sql.Identifier(table))
        )
    yield table
    with psycopg.connect(service_dsn(postgres_admin_dsn, "community"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_role_owns_its_database_and_creates_tables_in_it(
    postgres_admin_dsn: str, service: str
) -> None:
    table = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(service_dsn(postgres_admin_dsn, service), autocommit=True) as conn:
        row = conn.execute(
            "SELECT current_user, current_database(), rolsuper, rolcreatedb, rolcreaterole"
            " FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert row == (f"agora_{service}", f"agora_{service}", False, False, False)
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        ).fetchone()
        assert owner == (f"agora_{service}",)
        with conn.transaction():
            conn.execute(
                sql.SQL("CREATE TABLE {} (id int PRIMARY KEY, title text)").format(
                    sql.Identifier(table)
                )
            )
            conn.execute(
                sql.SQL("INSERT INTO {} VALUES (1, unaccent('Été'))").format(sql.Identifier(table))
            )
            titles = conn.execute(
                sql.SQL("SELECT title, similarity(title, 'ete') FROM {}").format(
                    sql.Identifier(table)
                )
            ).fetchall()
            assert titles == [("Ete", 1.0)]  # unaccent and pg_trgm are installed
            conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(table)))


@pytest.mark.parametrize(
    ("service", "other"), list(itertools.permutations(SERVICES, 2)), ids="{0[0]}-to-{0[1]}".format
)
def test_a_service_role_cannot_connect_to_another_services_database(
    postgres_admin_dsn: str, service: str, other: str
) -> None:
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(service_dsn(postgres_admin_dsn, service, f"agora_{other}")).close()


@pytest.mark.parametrize("database", ["postgres", "template1"])
def test_a_service_role_cannot_connect_to_the_servers_own_databases(
    postgres_admin_dsn: str, database: str
) -> None:
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(service_dsn(postgres_admin_dsn, "catalog", database)).close()


def test_catalog_cannot_read_a_table_of_community(
    postgres_admin_dsn: str, community_secret: str
) -> None:
    # The first wall: no connection to community's database at all.
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(service_dsn(postgres_admin_dsn, "catalog", "agora_community")).close()

    # From its own database, PostgreSQL has no cross-database query at all.
    with (
        psycopg.connect(service_dsn(postgres_admin_dsn, "catalog"), autocommit=True) as conn,
        pytest.raises(errors.FeatureNotSupported, match="cross-database references"),
    ):
        conn.execute(
            sql.SQL("SELECT note FROM agora_community.public.{}").format(
                sql.Identifier(community_secret)
            )
        )

    # The second wall: even were CONNECT granted by mistake, community's schema and
    # tables are closed to catalog.
    target = sql.Identifier("agora_community")
    with admin_on(postgres_admin_dsn, "postgres") as admin:
        admin.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO agora_catalog").format(target))
        try:
            with psycopg.connect(
                service_dsn(postgres_admin_dsn, "catalog", "agora_community"), autocommit=True
            ) as conn:
                with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
                    conn.execute(
                        sql.SQL("SELECT note FROM public.{}").format(
                            sql.Identifier(community_secret)
                        )
                    )
                with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
                    conn.execute("CREATE TABLE public.planted (x int)")
        finally:
            admin.execute(
                sql.SQL("REVOKE CONNECT ON DATABASE {} FROM agora_catalog").format(target)
            )

    # community itself reads it.
    with psycopg.connect(service_dsn(postgres_admin_dsn, "community"), autocommit=True) as conn:
        notes = conn.execute(
            sql.SQL("SELECT note FROM {}").format(sql.Identifier(community_secret))
        ).fetchall()
        assert notes == [("community only",)]


def test_passwords_are_checked_and_only_loopback_tcp_is_served(postgres_admin_dsn: str) -> None:
    wrong = make_conninfo(service_dsn(postgres_admin_dsn, "catalog"), password="not-it")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong).close()
    with admin_on(postgres_admin_dsn, "postgres") as admin:
        rows = admin.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN"
            " ('listen_addresses', 'password_encryption', 'fsync')"
        ).fetchall()
        settings = {str(name): str(value) for name, value in rows}
        assert settings == {
            "listen_addresses": "127.0.0.1",
            "password_encryption": "scram-sha-256",
            "fsync": "on",
        }
        rules = admin.execute(
            "SELECT type, database, user_name, address, auth_method FROM pg_hba_file_rules"
        ).fetchall()
        assert rules == [("host", ["all"], ["all"], "127.0.0.1", "scram-sha-256")]
    assert conninfo_to_dict(postgres_admin_dsn).get("host") in ("127.0.0.1", "localhost")
