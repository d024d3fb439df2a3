"""A service whose consumer skips the processed-id step: TEST ONLY, so the fault suite
can prove its audit catches a double (``test_catalog_community_faults.py``).

Run as ``python -m faults.unguarded`` with ``tests/`` on ``PYTHONPATH`` and the
service's package in ``AGORA_FAULTS_UNGUARDED_SERVICE``: the service starts as it does
in production, except that every consumer of its runtime is an
:class:`UnguardedConsumer`, which still writes the marks but treats every event as new,
so a redelivered event runs its effects again. Nothing outside this suite imports it;
no setting of a service can select it.
"""

from __future__ import annotations

import os
import runpy
from collections.abc import Sequence

from agora_core import runtime
from agora_core.messaging.batch_consumer import BatchEventConsumer, Item
from agora_core.postgres.unit_of_work import UnitOfWork

SERVICE_VARIABLE = "AGORA_FAULTS_UNGUARDED_SERVICE"


class UnguardedConsumer(BatchEventConsumer):
    """A batch consumer that forgets which events it already handled."""

    async def _fresh_ids(self, uow: UnitOfWork, items: Sequence[Item]) -> set[str]:
        await super()._fresh_ids(uow, items)
        return {event.event_id for _, event in items}


def main() -> None:
    # The runtime builds its consumers from this module-level name.
    setattr(runtime, "BatchEventConsumer", UnguardedConsumer)  # noqa: B010
    runpy.run_module(os.environ[SERVICE_VARIABLE], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
