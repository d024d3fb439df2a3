"""Builds the gamification process: the only place that knows every concrete class."""

from __future__ import annotations

import datetime as dt

from agora.gamification.v1 import gamification_pb2_grpc
from agora_core.background import PeriodicTask
from agora_core.grpc.server import ServiceRegistration, create_grpc_server
from agora_core.privacy import ErasedCallerVerifier, PersonEraser, with_erasure
from agora_core.runtime import ServiceRuntime
from agora_gamification.adapters.board_index import MongoBoardStore
from agora_gamification.adapters.mongo import INDEXES, OUTBOX_COLLECTIONS, GamificationStore
from agora_gamification.domain.open_badges import CredentialSigner
from agora_gamification.entrypoints.events import consumed_handlers, consumed_topics
from agora_gamification.entrypoints.grpc_api import POLICY, SERVICE_NAME, GamificationServicer
from agora_gamification.entrypoints.public_http import CredentialsHttp
from agora_gamification.service_layer.awards import Awards
from agora_gamification.service_layer.boards import BoardWriter
from agora_gamification.service_layer.challenges import Challenges, deadline_sweeper
from agora_gamification.service_layer.erasure import ERASURE_PLAN, remove_from_teams
from agora_gamification.service_layer.leaderboards import Leaderboards
from agora_gamification.service_layer.scoring import Clock, Scoring
from agora_gamification.settings import GamificationSettings


def utc_now() -> dt.datetime:
    """The production clock."""
    return dt.datetime.now(dt.UTC)


class GamificationRuntime(ServiceRuntime):
    """The shared runtime plus the challenge deadline sweeper, the repair of
    leaderboard moves left pending by a crash (at start-up, then periodically) and the
    public credential endpoint."""

    sweeper: PeriodicTask
    board_repair: PeriodicTask
    public_http: CredentialsHttp

    async def start(self) -> None:
        await super().start()
        await self.public_http.start()
        self.sweeper.start()
        self.board_repair.start()

    async def stop(self) -> None:
        await self.board_repair.stop()
        await self.sweeper.stop()
        await self.public_http.stop()
        await super().stop()


async def build(settings: GamificationSettings, *, clock: Clock = utc_now) -> ServiceRuntime:
    """The runtime with gRPC API, consumer, outbox relay and sweeper wired."""
    runtime = GamificationRuntime(
        settings, indexes=INDEXES, outbox_collections=list(OUTBOX_COLLECTIONS)
    )
    store = GamificationStore(runtime.database)
    notify = runtime.relay.notify
    board_store = MongoBoardStore(runtime.database)
    boards = BoardWriter(board_store, clock)
    scoring = Scoring(store, notify, clock, boards=boards)
    challenges = Challenges(store, notify, clock)
    signer = (
        CredentialSigner(
            settings.badge_signing_key_pem.get_secret_value(), settings.badge_signing_key_id
        )
        if settings.badge_signing_key_pem is not None
        else None
    )
    awards = Awards(
        store,
        notify,
        clock,
        base_url=settings.public_base_url,
        issuer_name=settings.issuer_name,
        signer=signer,
    )
    runtime.public_http = CredentialsHttp(settings.public_host, settings.public_port, awards)
    runtime.sweeper = deadline_sweeper(challenges, settings.challenge_sweep_seconds)
    runtime.board_repair = PeriodicTask(
        "leaderboard-move-repair", boards.repair, settings.board_repair_seconds
    )

    async def left_teams(tenant_id: str, person_id: str, _pseudonym: str) -> int:
        return await remove_from_teams(store, tenant_id, person_id)

    eraser = PersonEraser(
        runtime.database,
        ERASURE_PLAN,
        before=[
            ("scores", lambda t, p, _: boards.erase_learner_scores(t, p)),
            ("teams", left_teams),
        ],
    )
    runtime.add_consumer(
        *with_erasure(
            consumed_topics(),
            consumed_handlers(scoring, challenges),
            eraser,
            per_person_records=True,
        )
    )
    servicer = GamificationServicer(
        store, scoring, Leaderboards(store, board_store), awards, challenges, clock
    )
    runtime.set_api(
        create_grpc_server(
            settings,
            registrations=[
                ServiceRegistration(
                    gamification_pb2_grpc.add_GamificationServiceServicer_to_server, servicer
                )
            ],
            policy=POLICY,
            verifier=ErasedCallerVerifier(settings, eraser.tombstones),
            service_names=[SERVICE_NAME],
        )
    )
    return runtime
