"""Right to erasure in gamification: amounts stay, identity goes.

- The ledger keeps every entry and its amount (tenant totals, rule statistics and
  audits stay right) under a pseudonym random to this erasure, the same for all of the
  person's entries (they still add up per anonymous learner) and recorded nowhere.
- Challenges keep participants, progress, attempts and winners under that pseudonym,
  so a running challenge still counts and closes correctly for the others.
- The profile, person settings, awards (a credential names its recipient) with their
  revocations, board entries and space and team memberships are deleted.

Every step is idempotent: a repeated erasure finds nothing left to change.
"""

from __future__ import annotations

from typing import Final

from agora_core.postgres import Database
from agora_core.postgres.unit_of_work import UnitOfWork as CoreUnitOfWork
from agora_core.privacy.postgres import Erasure, ErasureStep, PostgresPersonEraser
from agora_gamification.adapters.postgres.unit_of_work import PostgresUnitOfWork


async def _profile(core: CoreUnitOfWork, erasure: Erasure) -> int:
    uow = PostgresUnitOfWork(core, erasure.tenant_id)
    return await uow.profiles.delete_person(erasure.person_id)


async def _awards(core: CoreUnitOfWork, erasure: Erasure) -> int:
    uow = PostgresUnitOfWork(core, erasure.tenant_id)
    return await uow.awards.delete_person(erasure.person_id)


async def _ledger(core: CoreUnitOfWork, erasure: Erasure) -> int:
    uow = PostgresUnitOfWork(core, erasure.tenant_id)
    return await uow.ledger.pseudonymise(erasure.person_id, erasure.pseudonym)


async def _challenges(core: CoreUnitOfWork, erasure: Erasure) -> int:
    uow = PostgresUnitOfWork(core, erasure.tenant_id)
    return await uow.challenges.pseudonymise(erasure.person_id, erasure.pseudonym)


async def _boards(core: CoreUnitOfWork, erasure: Erasure) -> int:
    uow = PostgresUnitOfWork(core, erasure.tenant_id)
    return await uow.boards.delete_person(erasure.person_id)


async def _memberships(core: CoreUnitOfWork, erasure: Erasure) -> int:
    uow = PostgresUnitOfWork(core, erasure.tenant_id)
    return await uow.memberships.leave_all(erasure.person_id)


# Profiles first: the ledger purge folds a learner's entries holding their profile's
# lock, so deleting the profile waits for a running purge and the ledger step then sees
# (and renames) the carried entry it inserted.
STEPS: Final[tuple[tuple[str, ErasureStep], ...]] = (
    ("profiles", _profile),
    ("person_settings", _profile),
    ("awards", _awards),
    ("award_revocations", _awards),
    ("ledger", _ledger),
    ("challenges", _challenges),
    ("challenge_participants", _challenges),
    ("challenge_progress", _challenges),
    ("duel_attempts", _challenges),
    ("board_entries", _boards),
    ("space_members", _memberships),
    ("team_members", _memberships),
)

NOT_PERSONAL: Final = {
    "tenant_config": "tenant settings and counters",
    "rules": "tenant configuration",
    "rule_versions": "tenant configuration history",
    "badges": "badge definitions",
    "teams": "team names (members are in team_members)",
    "challenge_deadlines": "challenge ids and times",
    "ledger_retention": "the tenant's retention days and last purge",
    "board_counts": "entries per points value (moved by the board_entries step)",
    "board_bands": "entries per band of points values (moved by the board_entries step)",
}


def gamification_eraser(database: Database) -> PostgresPersonEraser:
    """The eraser of gamification's plan. A step cleans a group of tables; it is named
    once per table it covers (so a test can prove no table is forgotten) and, being
    idempotent, finds nothing left when it runs again under the group's next name."""
    return PostgresPersonEraser(database, STEPS, not_personal=NOT_PERSONAL)
