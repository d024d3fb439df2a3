"""The PostgreSQL repositories against a real, migrated database (RLS applies), and
the index each list view is served by."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import AsyncIterator

import pytest

from agora_core.postgres import Database
from agora_core.testing.postgres import assert_index_serves, migrated_database, query_plan
from agora_gamification.adapters.postgres import board_reads
from agora_gamification.adapters.postgres import ledger as ledger_sql
from agora_gamification.adapters.postgres.awards import PostgresAwardRepository
from agora_gamification.adapters.postgres.board_reads import PostgresBoardReads, board_statements
from agora_gamification.adapters.postgres.boards import PostgresBoardRepository
from agora_gamification.adapters.postgres.config import PostgresConfigRepository
from agora_gamification.adapters.postgres.ledger import PostgresLedgerRepository
from agora_gamification.adapters.postgres.memberships import PostgresMembershipRepository
from agora_gamification.adapters.postgres.profiles import PERSON_SETTINGS, PostgresProfileRepository
from agora_gamification.domain.boards import BoardRead, BoardScore, BoardSnapshot, Placement, Team
from agora_gamification.domain.profile import AwardLine, LedgerLine, ProfileState, Streak
from agora_gamification.domain.rules import Rule
from agora_gamification.domain.settings import PersonSettings, TenantSettings
from agora_gamification.migrations import MIGRATIONS

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
TENANT = "acme"
COMPLETED = "org.agora.learning.knowledge.completed.v1"


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as db:
        yield db


def line(learner: str, n: int, points: int, balance: int) -> LedgerLine:
    return LedgerLine(
        entry_id=f"{learner}-{n}",
        learner_id=learner,
        points=points,
        rule_id="completion",
        rule_version=1,
        source_event_id=f"e{n}",
        source_event_type=COMPLETED,
        awarded_at=T0 + dt.timedelta(minutes=n),
        balance=balance,
    )


async def test_profiles_round_trip_and_person_settings(database: Database) -> None:
    state = ProfileState(
        learner_id="ada",
        version=3,
        points=25,
        level=1,
        streak=Streak(2, 2, dt.date(2026, 11, 24), (dt.date(2026, 11, 23), dt.date(2026, 11, 24))),
        caps={"like|2026-11-23": 2},
        periods={"all": 25, "2026-W48": 25},
        period_times={"all": T0.isoformat()},
        badge_progress={"b|0": 1},
        badges=("first",),
    )
    async with database.unit_of_work(TENANT) as uow:
        profiles = PostgresProfileRepository(uow.connection, TENANT)
        await profiles.save_profiles([state])
        await profiles.put_person_settings("ada", "Europe/Paris", True)
    async with database.unit_of_work(TENANT) as uow:
        profiles = PostgresProfileRepository(uow.connection, TENANT)
        assert await profiles.person_settings("ada") == PersonSettings(
            time_zone="Europe/Paris", leaderboard_opt_out=True
        )
        assert await profiles.person_settings("bob") is None
        found = await profiles.get_profiles(["ada", "bob"], for_update=True)
        # Read for update, a learner without a profile gets an empty one to lock.
        assert await profiles.get_profile("bob") == ProfileState(learner_id="bob")
        assert await profiles.get_profile("cy") is None
    assert found["ada"] == ProfileState(
        **{**state.__dict__, "time_zone": "Europe/Paris", "opt_out": True}
    )
    assert found["bob"] == ProfileState(learner_id="bob")
    async with database.unit_of_work("other") as uow:
        assert await PostgresProfileRepository(uow.connection, "other").get_profile("ada") is None
        assert (
            await PostgresProfileRepository(uow.connection, "other").person_settings("ada") is None
        )
    plan = await query_plan(database, PERSON_SETTINGS, (TENANT, "ada"), tenant_id=TENANT)
    assert_index_serves(plan, "person_settings_pkey")


async def test_ledger_insert_is_idempotent_and_pages_by_its_index(database: Database) -> None:
    lines = [line("ada", n, 10, 10 * (n + 1)) for n in range(5)]
    async with database.unit_of_work(TENANT) as uow:
        ledger = PostgresLedgerRepository(uow.connection, TENANT)
        assert await ledger.add_entries(lines) == 5
        assert await ledger.add_entries(lines[:2]) == 0
        first = await ledger.entries_of("ada", None, 2)
        rest = await ledger.entries_of("ada", (first[-1].awarded_at, first[-1].entry_id), 10)
        assert await ledger.sum_of("ada") == 50
    assert [x.entry_id for x in first + rest] == [f"ada-{n}" for n in reversed(range(5))]
    assert first[0] == lines[-1]
    plan = await query_plan(
        database, ledger_sql.PAGE_QUERY, (TENANT, "ada", T0, "x", 10), tenant_id=TENANT
    )
    assert_index_serves(plan, "ledger_learner_time")


async def seed_board(database: Database, points: dict[str, int]) -> None:
    async with database.unit_of_work(TENANT) as uow:
        await PostgresBoardRepository(uow.connection, TENANT).set_scores(
            [
                BoardScore("tenant", "all", learner, p, T0 + dt.timedelta(seconds=i), True)
                for i, (learner, p) in enumerate(points.items())
            ]
        )


async def snapshot(
    database: Database, learner: str, top_n: int = 0, neighbours: int = 0
) -> BoardSnapshot:
    read = BoardRead("tenant", "all", learner, top_n, neighbours)
    return await PostgresBoardReads(database).snapshot(TENANT, read)


async def test_board_top_rank_and_neighbours_follow_the_tie_rule(database: Database) -> None:
    # ada and bob tie at 50 (ada first), cy and dan tie at 30 (cy first), eve below.
    await seed_board(database, {"ada": 50, "bob": 50, "cy": 30, "dan": 30, "eve": 10, "fay": 70})
    async with database.unit_of_work(TENANT) as uow:
        await PostgresBoardRepository(uow.connection, TENANT).set_public("fay", False)
    cy = await snapshot(database, "cy", top_n=3, neighbours=2)
    assert [p.learner_id for p in cy.top] == ["ada", "bob", "cy"]
    assert (cy.rank, cy.ranked_count) == (3, 5)
    assert [p.learner_id for p in cy.above] == ["bob", "ada"]
    assert [p.learner_id for p in cy.below] == ["dan", "eve"]
    assert cy.settings == TenantSettings()
    assert cy.team_exists  # not a team board
    # dan's nearest above: cy (tied, ahead of him), then bob (beyond the tie).
    dan = await snapshot(database, "dan", neighbours=2)
    assert dan.top == []
    assert (dan.rank, [p.learner_id for p in dan.above]) == (4, ["cy", "bob"])
    assert [p.learner_id for p in dan.below] == ["eve"]
    fay = await snapshot(database, "fay", neighbours=2)  # opted out: on no public board
    assert (fay.mine is not None, fay.rank, fay.above, fay.below) == (True, 0, [], [])
    nobody = await snapshot(database, "nobody", top_n=1, neighbours=2)
    assert (nobody.mine, nobody.rank, len(nobody.top)) == (None, 0, 1)
    async with database.unit_of_work(TENANT) as uow:
        boards = PostgresBoardRepository(uow.connection, TENANT)
        totals = await boards.totals(["tenant"], "all")
        assert await boards.remove("eve", "tenant") == 1
    assert (await snapshot(database, "x")).ranked_count == 4
    # Counts follow moves: dan passes everyone, fay comes back, ada is erased.
    async with database.unit_of_work(TENANT) as uow:
        boards = PostgresBoardRepository(uow.connection, TENANT)
        await boards.set_scores([BoardScore("tenant", "all", "dan", 80, T0, True)])
        await boards.set_public("fay", True)
        assert await boards.delete_person("ada") == 1
    after_moves = await snapshot(database, "cy", top_n=4)
    assert after_moves.ranked_count == 4
    assert [p.learner_id for p in after_moves.top] == ["dan", "fay", "bob", "cy"]
    assert after_moves.rank == 4
    async with database.unit_of_work(TENANT) as uow:
        counts = await uow.connection.execute(
            "SELECT points, entries FROM board_counts WHERE tenant_id = %s AND entries > 0 "
            "ORDER BY points",
            (TENANT,),
        )
        assert await counts.fetchall() == [(30, 1), (50, 1), (70, 1), (80, 1)]
        bands = await uow.connection.execute(
            "SELECT band, entries FROM board_bands WHERE tenant_id = %s AND entries > 0 "
            "ORDER BY band",
            (TENANT,),
        )
        assert await bands.fetchall() == [(0, 2), (1, 2)]  # 30, 50 | 70, 80
    assert totals == {"tenant": 240}  # the opted-out learner still counts in totals


async def test_ranks_across_bands_match_the_board_sorted_here(database: Database) -> None:
    """Points on both sides of band edges (63 | 64, 127 | 128), ties, moves within and
    across bands, an opt-out and a removal: every rank and neighbourhood is exact."""
    rng = random.Random(7)
    edges = [0, 1, 62, 63, 64, 65, 127, 128, 129, 191, 192, 300]
    points = {f"p{n:03d}": rng.choice(edges) for n in range(120)}
    await seed_board(database, points)
    moved = {learner: rng.choice(edges) for learner in rng.sample(sorted(points), 40)}
    async with database.unit_of_work(TENANT) as uow:
        boards = PostgresBoardRepository(uow.connection, TENANT)
        await boards.set_scores(
            [BoardScore("tenant", "all", lr, p, T0, True) for lr, p in moved.items()]
        )
        await boards.set_public("p000", False)
        await boards.remove("p001", "tenant")
        cursor = await uow.connection.execute(
            "SELECT learner_id, points, reached_at FROM board_entries "
            "WHERE tenant_id = %s AND public",
            (TENANT,),
        )
        board = sorted(
            [Placement(lr, int(p), at) for lr, p, at in await cursor.fetchall()],
            key=lambda p: (-p.points, p.reached_at, p.learner_id),
        )
    assert len(board) == 118
    for rank, me in enumerate(board, start=1):
        seen = await snapshot(database, me.learner_id, neighbours=3)
        assert (seen.rank, seen.ranked_count) == (rank, len(board))
        assert seen.above == list(reversed(board[max(0, rank - 4) : rank - 1]))
        assert seen.below == board[rank : rank + 3]


async def test_board_sizes_are_sums_over_bands_and_points_values(database: Database) -> None:
    await seed_board(database, {"ada": 50, "bob": 30})
    statements = dict(board_statements(TENANT, BoardRead("tenant", "all", "bob", 10, 2)))
    for query, index in (
        (board_reads.SIZES_QUERY, "board_bands_pkey"),
        (board_reads.BAND_HIGHER_QUERY, "board_counts_pkey"),
    ):
        plan = await query_plan(database, query, statements[query], tenant_id=TENANT)
        assert_index_serves(plan, index)


@pytest.mark.parametrize(
    "query",
    [
        board_reads.TOP_QUERY,
        board_reads.TIED_AHEAD_QUERY,
        board_reads.TIED_BEFORE_QUERY,
        board_reads.HIGHER_NEAREST_QUERY,
        board_reads.TIED_AFTER_QUERY,
        board_reads.LOWER_NEAREST_QUERY,
    ],
)
async def test_board_queries_are_served_by_the_rank_index(database: Database, query: str) -> None:
    await seed_board(database, {"ada": 50, "bob": 30})
    statements = dict(board_statements(TENANT, BoardRead("tenant", "all", "bob", 10, 2)))
    plan = await query_plan(database, query, statements[query], tenant_id=TENANT)
    assert_index_serves(plan, "board_entries_rank")


async def test_config_rules_badges_and_settings(database: Database) -> None:
    rule = Rule(
        rule_id="completion", event_type="org.agora.learning.knowledge.completed.v1", points=5
    )
    async with database.unit_of_work(TENANT) as uow:
        config = PostgresConfigRepository(uow.connection, TENANT)
        assert (await config.tenant_state()).config_version == 0
        assert (await config.put_rule(rule)).version == 1
        assert (await config.put_rule(rule)).version == 2
        await config.put_settings(TenantSettings(time_zone="Europe/Paris"))
        await config.count_open_challenges(2)
        state = await config.tenant_state()
        rules = await config.stored_rules()
    assert state.config_version == 3
    assert state.open_challenges == 2
    assert state.settings == TenantSettings(time_zone="Europe/Paris")
    assert rules == [rule.model_copy(update={"version": 2})]


async def test_awards_and_revocation(database: Database) -> None:
    award = AwardLine("a1", "first", "First steps", "ada", "", ("s1",), T0)
    async with database.unit_of_work(TENANT) as uow:
        awards = PostgresAwardRepository(uow.connection, TENANT)
        await awards.add_awards([award])
        await awards.add_awards([award])
        assert await awards.revoke("a1", "mistake", T0)
        assert not await awards.revoke("a1", "again", T0)
        found = await awards.get_award("a1")
        mine = await awards.awards_of("ada")
    assert found is not None
    assert found.revoked
    assert found.revocation_reason == "mistake"
    assert mine == [found]
    assert found.skill_ids == ("s1",)


async def test_memberships_and_teams(database: Database) -> None:
    async with database.unit_of_work(TENANT) as uow:
        members = PostgresMembershipRepository(uow.connection, TENANT)
        await members.join_space("s1", "ada")
        await members.join_space("s1", "bob")
        assert await members.put_team(Team("red", "Red", ("ada", "cy"))) == ()
        assert await members.put_team(Team("red", "Red!", ("ada", "dan"))) == ("ada", "cy")
        await members.leave_space("s1", "bob")
        found = await members.memberships_of(["ada", "bob"])
        teams = await members.teams()
    assert found == {"ada": (["s1"], ["red"]), "bob": ([], [])}
    assert teams == [Team("red", "Red!", ("ada", "dan"))]
