"""Preference layers on PostgreSQL: one row per (tenant, scope, scope id); the rules
per category and channel are JSONB (free-form, read whole), quiet hours and forced
categories typed columns."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from psycopg.types.json import Jsonb

from agora_core.postgres.pool import AsyncConnection
from agora_notifications.domain.model import Channel, DigestMode
from agora_notifications.domain.preferences import ChannelSetting, PreferenceLayer, QuietHours

_COLUMNS: Final = "scope, scope_id, rules, quiet_start, quiet_end, forced_categories"
_LAYERS: Final = (
    f"SELECT {_COLUMNS} FROM preference_layers WHERE tenant_id = %s"
    " AND (scope, scope_id) IN (('tenant', ''), ('space', %s), ('person', %s))"
)
_PUT: Final = (
    f"INSERT INTO preference_layers (tenant_id, {_COLUMNS}, update_time)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (tenant_id, scope, scope_id) DO UPDATE SET rules = excluded.rules,"
    " quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,"
    " forced_categories = excluded.forced_categories, update_time = excluded.update_time"
)

Layers = tuple[PreferenceLayer | None, PreferenceLayer | None, PreferenceLayer | None]


def _rules_json(layer: PreferenceLayer) -> dict[str, Any]:
    return {
        category: {
            channel.value: {
                "enabled": setting.enabled,
                "digest": setting.digest.value if setting.digest else None,
            }
            for channel, setting in channels.items()
        }
        for category, channels in layer.rules.items()
    }


def _layer(row: Sequence[Any]) -> PreferenceLayer:
    rules = {
        category: {
            Channel(channel): ChannelSetting(
                enabled=setting["enabled"],
                digest=DigestMode(setting["digest"]) if setting["digest"] else None,
            )
            for channel, setting in channels.items()
        }
        for category, channels in row[2].items()
    }
    quiet = QuietHours(row[3], row[4]) if row[3] is not None else None
    return PreferenceLayer(rules, quiet, frozenset(row[5]))


class PostgresPreferenceRepository:
    """One tenant's preference layers, bound to a unit of work's connection."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def get(self, scope: str, scope_id: str) -> PreferenceLayer | None:
        cursor = await self._connection.execute(
            f"SELECT {_COLUMNS} FROM preference_layers"
            " WHERE tenant_id = %s AND scope = %s AND scope_id = %s",
            (self._tenant, scope, scope_id),
        )
        row = await cursor.fetchone()
        return _layer(row) if row is not None else None

    async def put(self, scope: str, scope_id: str, layer: PreferenceLayer, now: datetime) -> None:
        quiet = layer.quiet_hours
        await self._connection.execute(
            _PUT,
            (
                self._tenant,
                scope,
                scope_id,
                Jsonb(_rules_json(layer)),
                quiet.start if quiet else None,
                quiet.end if quiet else None,
                sorted(layer.forced),
                now,
            ),
        )

    async def layers(self, space_id: str | None, person_id: str) -> Layers:
        """(tenant, space, person) layers for one notification, in one read."""
        cursor = await self._connection.execute(_LAYERS, (self._tenant, space_id or "", person_id))
        found = {(row[0], row[1]): _layer(row) for row in await cursor.fetchall()}
        return (
            found.get(("tenant", "")),
            found.get(("space", space_id)) if space_id else None,
            found.get(("person", person_id)),
        )
