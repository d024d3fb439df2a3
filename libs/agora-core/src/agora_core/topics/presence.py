"""Readiness of a service: are the topics it consumes and publishes provisioned?

Clients never create topics, so a service started before ``apply`` would wait
silently for partitions that never come. This check names the missing topics in
``/readyz`` (and the runtime logs them once at start); it asks the brokers again on
each probe until all exist, then stops asking (topics are not deleted under a
running service).
"""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient

from agora_core.settings import KafkaSettings
from agora_core.topics.cluster import admin_client


class TopicPresence:
    """Which of a service's required topics are missing; callable as a readiness check."""

    def __init__(self, kafka: KafkaSettings, topics: Iterable[str], *, client_id: str) -> None:
        self.required = sorted(set(topics))
        self._kafka = kafka
        self._client_id = client_id
        self._admin: AIOKafkaAdminClient | None = None
        self._all_present = not self.required

    async def missing(self) -> list[str]:
        """The required topics the cluster does not have (empty once all exist)."""
        if self._all_present:
            return []
        if self._admin is None:
            admin = admin_client(self._kafka, client_id=self._client_id)
            await admin.start()
            self._admin = admin
        existing = set(await self._admin.list_topics())
        missing = [topic for topic in self.required if topic not in existing]
        if not missing:
            self._all_present = True
            await self.close()
        return missing

    async def close(self) -> None:
        if self._admin is not None:
            admin, self._admin = self._admin, None
            await admin.close()
