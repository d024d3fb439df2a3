"""Builds the gamification process: the only place that knows every concrete class."""

from __future__ import annotations

import datetime as dt

from agora.gamification.v1 import gamification_pb2_grpc
from agora_core.background import PeriodicTask
from agora_core.grpc.server import ServiceRegistration, create_grpc_server
from agora_core.privacy.postgres import with_erasure_batch
from agora_core.runtime import ServiceRuntime
from agora_gamification.adapters.postgres.board_reads import PostgresBoardReads
from agora_gamification.adapters.postgres.erasure import gamification_eraser
from agora_gamification.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_gamification.domain.open_badges import CredentialSigner
from agora_gamification.entrypoints.events import consumed_set_handlers, consumed_topics
from agora_gamification.entrypoints.grpc_api import (
    POLICY,
    SERVICE_NAME,
    GamificationServicer,
    UseCases,
)
from agora_gamification.entrypoints.public_http import CredentialsHttp
from agora_gamification.migrations import MIGRATIONS
from agora_gamification.service_layer.administration import Administration
from agora_gamification.service_layer.awards import Awards
from agora_gamification.service_layer.challenges import Challenges, deadline_sweeper
from agora_gamification.service_layer.leaderboards import Leaderboards
from agora_gamification.service_layer.people import People
from agora_gamification.service_layer.retention import LedgerRetention, retention_purger
from agora_gamification.service_layer.scoring import Clock, Scoring, TenantConfigs
from agora_gamification.settings import GamificationSettings


def utc_now() -> dt.datetime:
    """The production clock."""
    return dt.datetime.now(dt.UTC)


class GamificationRuntime(ServiceRuntime):
    """The shared runtime plus the challenge deadline sweeper, the ledger retention
    purge and the public credential endpoint."""

    sweeper: PeriodicTask
    purger: PeriodicTask
    public_http: CredentialsHttp

    async def start(self) -> None:
        await super().start()
        await self.public_http.start()
        self.sweeper.start()
        self.purger.start()

    async def stop(self) -> None:
        await self.purger.stop()
        await self.sweeper.stop()
        await self.public_http.stop()
        await super().stop()


def signer_of(settings: GamificationSettings) -> CredentialSigner | None:
    """The credential signer of the configured key, if any."""
    if settings.badge_signing_key_pem is None:
        return None
    return CredentialSigner(
        settings.badge_signing_key_pem.get_secret_value(), settings.badge_signing_key_id
    )


async def build(settings: GamificationSettings, *, clock: Clock = utc_now) -> ServiceRuntime:
    """The runtime with gRPC API, batch consumer, outbox relay and sweeper wired."""
    runtime = GamificationRuntime(settings, migrations=MIGRATIONS)
    database = runtime.require_postgres()
    uow = PostgresUnitOfWorkFactory(database)
    challenges = Challenges(uow, uow.due_challenges, clock)
    awards = Awards(
        uow,
        clock,
        base_url=settings.public_base_url,
        issuer_name=settings.issuer_name,
        signer=signer_of(settings),
    )
    runtime.public_http = CredentialsHttp(settings.public_host, settings.public_port, awards)
    runtime.sweeper = deadline_sweeper(challenges, settings.challenge_sweep_seconds)
    retention = LedgerRetention(
        uow, uow.retention_tenants, clock, batch_size=settings.ledger_purge_batch_size
    )
    runtime.purger = retention_purger(retention, settings.ledger_purge_seconds)
    eraser = gamification_eraser(database)
    topics, handlers, set_handlers = with_erasure_batch(
        consumed_topics(),
        {},
        eraser,
        set_handlers=consumed_set_handlers(Scoring(TenantConfigs()), challenges, clock),
        per_person_records=True,
    )
    runtime.add_batch_consumer(topics, handlers, set_handlers)
    use_cases = UseCases(
        people=People(uow, clock),
        leaderboards=Leaderboards(uow, PostgresBoardReads(database), clock),
        administration=Administration(uow, clock),
        awards=awards,
        challenges=challenges,
    )
    runtime.set_api(
        create_grpc_server(
            settings,
            registrations=[
                ServiceRegistration(
                    gamification_pb2_grpc.add_GamificationServiceServicer_to_server,
                    GamificationServicer(use_cases),
                )
            ],
            policy=POLICY,
            verifier=runtime.erased_caller_verifier(eraser.tombstones),
            service_names=[SERVICE_NAME],
        )
    )
    return runtime
