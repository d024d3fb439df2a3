"""A tenant's configuration: settings, rules (with their history) and badge definitions.

``config_version`` moves with every change, so each replica's cache of the effective
rules and badges knows when to reload; ``open_challenges`` lets events skip the
challenge query when none is open.
"""

from __future__ import annotations

import json
from typing import Any

from psycopg import AsyncConnection

from agora_gamification.adapters.postgres.retention import set_retention
from agora_gamification.domain.badges import BadgeDefinition
from agora_gamification.domain.rules import Rule
from agora_gamification.domain.settings import LevelThreshold, TenantSettings
from agora_gamification.domain.tenant import TenantState

_BUMP = (
    "INSERT INTO tenant_config (tenant_id, config_version) VALUES (%s, 1) "
    "ON CONFLICT (tenant_id) DO UPDATE SET config_version = tenant_config.config_version + 1"
)

TENANT_STATE_QUERY = (
    "SELECT time_zone, privacy_mode, streak_grace_days, levels, config_version, "
    "open_challenges, ledger_retention_days FROM tenant_config WHERE tenant_id = %s"
)


def tenant_state_of(row: tuple[Any, ...] | None) -> TenantState:
    """The state of a ``TENANT_STATE_QUERY`` row (defaults when the tenant has none)."""
    if row is None:
        return TenantState(0, 0, TenantSettings())
    zone, privacy, grace, levels, version, open_challenges, retention = row
    settings = (
        TenantSettings()
        if zone is None
        else TenantSettings(
            time_zone=zone,
            privacy_mode=privacy,
            streak_grace_days=grace,
            levels=tuple(LevelThreshold.model_validate(lv) for lv in levels),
            ledger_retention_days=retention,
        )
    )
    return TenantState(int(version), int(open_challenges), settings)


class PostgresConfigRepository:
    """One tenant's configuration."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def tenant_state(self) -> TenantState:
        cursor = await self._connection.execute(TENANT_STATE_QUERY, (self._tenant,))
        return tenant_state_of(await cursor.fetchone())

    async def put_settings(self, settings: TenantSettings) -> None:
        """Store the settings; the purger's view of the retention moves with them."""
        await self._connection.execute(
            "INSERT INTO tenant_config (tenant_id, time_zone, privacy_mode, streak_grace_days, "
            "levels, ledger_retention_days, config_version) VALUES (%s, %s, %s, %s, %s, %s, 1) "
            "ON CONFLICT (tenant_id) DO UPDATE SET time_zone = excluded.time_zone, "
            "privacy_mode = excluded.privacy_mode, "
            "streak_grace_days = excluded.streak_grace_days, levels = excluded.levels, "
            "ledger_retention_days = excluded.ledger_retention_days, "
            "config_version = tenant_config.config_version + 1",
            (
                self._tenant,
                settings.time_zone,
                settings.privacy_mode,
                settings.streak_grace_days,
                json.dumps([lv.model_dump() for lv in settings.levels]),
                settings.ledger_retention_days,
            ),
        )
        await set_retention(self._connection, self._tenant, settings.ledger_retention_days)

    async def count_open_challenges(self, delta: int) -> None:
        await self._connection.execute(
            "INSERT INTO tenant_config (tenant_id, open_challenges) VALUES (%s, %s) "
            "ON CONFLICT (tenant_id) DO UPDATE "
            "SET open_challenges = tenant_config.open_challenges + excluded.open_challenges",
            (self._tenant, delta),
        )

    async def stored_rules(self) -> list[Rule]:
        """Rules an admin stored (they override the defaults by rule id)."""
        cursor = await self._connection.execute(
            "SELECT definition FROM rules WHERE tenant_id = %s ORDER BY rule_id", (self._tenant,)
        )
        return [Rule.model_validate(row[0]) for row in await cursor.fetchall()]

    async def put_rule(self, rule: Rule) -> Rule:
        """Store ``rule`` as the next version of its id (every version kept)."""
        cursor = await self._connection.execute(
            "SELECT version FROM rules WHERE tenant_id = %s AND rule_id = %s FOR UPDATE",
            (self._tenant, rule.rule_id),
        )
        row = await cursor.fetchone()
        stored = rule.model_copy(update={"version": (int(row[0]) if row else 0) + 1})
        definition = stored.model_dump_json()
        await self._connection.execute(
            "INSERT INTO rules (tenant_id, rule_id, version, event_type, definition) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (tenant_id, rule_id) DO UPDATE SET "
            "version = excluded.version, event_type = excluded.event_type, "
            "definition = excluded.definition",
            (self._tenant, stored.rule_id, stored.version, stored.event_type, definition),
        )
        await self._connection.execute(
            "INSERT INTO rule_versions (tenant_id, rule_id, version, definition) "
            "VALUES (%s, %s, %s, %s)",
            (self._tenant, stored.rule_id, stored.version, definition),
        )
        await self._connection.execute(_BUMP, (self._tenant,))
        return stored

    async def badges(self) -> list[BadgeDefinition]:
        cursor = await self._connection.execute(
            "SELECT definition FROM badges WHERE tenant_id = %s ORDER BY badge_id",
            (self._tenant,),
        )
        return [BadgeDefinition.model_validate(row[0]) for row in await cursor.fetchall()]

    async def badge(self, badge_id: str) -> BadgeDefinition | None:
        cursor = await self._connection.execute(
            "SELECT definition FROM badges WHERE tenant_id = %s AND badge_id = %s",
            (self._tenant, badge_id),
        )
        row = await cursor.fetchone()
        return None if row is None else BadgeDefinition.model_validate(row[0])

    async def put_badge(self, badge: BadgeDefinition) -> BadgeDefinition:
        """Store ``badge`` as the next version of its id."""
        cursor = await self._connection.execute(
            "SELECT version FROM badges WHERE tenant_id = %s AND badge_id = %s FOR UPDATE",
            (self._tenant, badge.badge_id),
        )
        row = await cursor.fetchone()
        stored = badge.model_copy(update={"version": (int(row[0]) if row else 0) + 1})
        await self._connection.execute(
            "INSERT INTO badges (tenant_id, badge_id, version, definition) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (tenant_id, badge_id) DO UPDATE SET "
            "version = excluded.version, definition = excluded.definition",
            (self._tenant, stored.badge_id, stored.version, stored.model_dump_json()),
        )
        await self._connection.execute(_BUMP, (self._tenant,))
        return stored
