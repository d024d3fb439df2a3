"""The catalog's gRPC API: who may call what, roles per RPC of CatalogService (fail
closed). The servicer (``grpc_content`` + ``grpc_learning``) only translates, with the
mappings of ``grpc_messages`` and ``grpc_learning_messages``; finer rules (author,
reviewer, tenant setting) live in the domain and service layer. Quiz answer keys are a
field of the domain item that no mapping ever reads."""

from __future__ import annotations

from typing import Final

from agora.catalog.v1 import catalog_pb2 as pb
from agora_core.grpc.policy import ANY_AUTHENTICATED, MethodPolicy
from agora_core.identity import Role

CATALOG_SERVICE: Final = pb.DESCRIPTOR.services_by_name["CatalogService"]
CATALOG_SERVICE_NAME: Final[str] = CATALOG_SERVICE.full_name

AUTHORS: Final = frozenset({Role.CONTRIBUTOR, Role.EXPERT, Role.MANAGER, Role.ADMIN})
REVIEWERS: Final = frozenset({Role.EXPERT, Role.ADMIN})
ADMINS: Final = frozenset({Role.ADMIN})
MANAGERS: Final = frozenset({Role.MANAGER, Role.ADMIN})
MONITORS: Final = frozenset({Role.MANAGER, Role.EXPERT, Role.ADMIN})

CATALOG_POLICY: Final = MethodPolicy.for_service(
    CATALOG_SERVICE,
    {
        "UpsertTheme": ADMINS,
        "ListThemes": ANY_AUTHENTICATED,
        "UpsertSkill": ADMINS,
        "ListSkills": ANY_AUTHENTICATED,
        "GetTenantSettings": ANY_AUTHENTICATED,
        "UpdateTenantSettings": ADMINS,
        "CreateItem": AUTHORS,
        "UpdateItem": AUTHORS,
        "GetItem": ANY_AUTHENTICATED,
        "ListItemVersions": ANY_AUTHENTICATED,
        "SearchItems": ANY_AUTHENTICATED,
        "SubmitItem": AUTHORS,
        "PublishInformally": AUTHORS,
        "ListReviewQueue": REVIEWERS,
        "ClaimReview": REVIEWERS,
        "ReviewItem": REVIEWERS,
        "ArchiveItem": AUTHORS,
        "CreatePath": AUTHORS,
        "PublishPath": AUTHORS,
        "ArchivePath": AUTHORS,
        "GetPath": ANY_AUTHENTICATED,
        "ListPaths": ANY_AUTHENTICATED,
        "EnrolInPath": ANY_AUTHENTICATED,
        "CreateAssignments": MANAGERS,
        "ListMyAssignments": ANY_AUTHENTICATED,
        "ListTeamAssignments": MANAGERS,
        "StartItem": ANY_AUTHENTICATED,
        "RecordProgress": ANY_AUTHENTICATED,
        "CompleteItem": ANY_AUTHENTICATED,
        "ListMyProgress": ANY_AUTHENTICATED,
        "RegisterForSession": ANY_AUTHENTICATED,
        "CancelSessionRegistration": ANY_AUTHENTICATED,
        "SubmitQuizAttempt": ANY_AUTHENTICATED,
        "GetSkillsReport": MONITORS,
    },
)
