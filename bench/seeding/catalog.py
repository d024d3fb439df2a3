"""Benchmark data of the catalog: words, items, learners and a team, written by the
catalog's own code (its item checks, repositories and use cases) into its PostgreSQL
database. ``bench/catalog.py`` and ``bench/platform_e2e.py`` seed with it.

Items are built by the service's ``item_fields`` (taxonomy checked, text sanitised)
and inserted by its item repository (which writes each item's search vector), a
thousand per transaction; seeding 100,000 items one gRPC call chain at a time would
take hours on a shared 2-core machine.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.progress import Progress as ProgressBar

from agora.catalog.v1 import catalog_pb2 as pb
from agora_catalog.adapters.postgres.taxonomy import PostgresTaxonomyRepository
from agora_catalog.adapters.postgres.unit_of_work import (
    CatalogUnitOfWork,
    PostgresUnitOfWorkFactory,
)
from agora_catalog.domain.inputs import AssignmentIn, ItemIn, PathIn, SkillIn, ThemeIn
from agora_catalog.domain.model import Item, Progress, Skill, Theme
from agora_catalog.service_layer.assignments import Assignments
from agora_catalog.service_layer.events import EventFactory
from agora_catalog.service_layer.items import item_fields
from agora_catalog.service_layer.paths import Paths
from agora_catalog.service_layer.taxonomy import Taxonomy
from agora_contracts.events.registry import REGISTRY
from agora_core.identity import Principal, Role
from agora_core.postgres import Database

console = Console()
TENANT = "bench"
SEED_BATCH = 1000
MANAGER = "u-manager"
# Words people search a corporate catalogue for, French and English, accents kept.
VOCABULARY = [
    "éducation",
    "financière",
    "sécurité",
    "données",
    "réseau",
    "cloud",
    "kubernetes",
    "python",
    "apprentissage",
    "management",
    "leadership",
    "écoute",
    "négociation",
    "qualité",
    "client",
    "vente",
    "marketing",
    "juridique",
    "conformité",
    "RGPD",
    "éthique",
    "innovation",
    "agilité",
    "scrum",
    "projet",
    "budget",
    "comptabilité",
    "fiscalité",
    "santé",
    "prévention",
    "incendie",
    "ergonomie",
    "télétravail",
    "communication",
    "présentation",
    "écriture",
    "anglais",
    "espagnol",
    "allemand",
    "excel",
    "tableur",
    "analyse",
    "statistique",
    "visualisation",
    "SQL",
    "index",
    "jointure",
    "performance",
    "sauvegarde",
    "chiffrement",
    "identité",
    "phishing",
    "onboarding",
    "accueil",
    "mentorat",
    "feedback",
    "entretien",
    "recrutement",
    "diversité",
    "inclusion",
    "énergie",
    "carbone",
    "learning",
    "security",
    "network",
    "privacy",
    "compliance",
    "negotiation",
    "sales",
    "customer",
    "quality",
    "coaching",
    "delegation",
    "priorities",
    "meeting",
    "planning",
    "roadmap",
    "product",
    "design",
    "research",
    "interview",
    "accessibility",
    "testing",
    "deployment",
    "monitoring",
    "incident",
    "postmortem",
    "architecture",
    "database",
    "migration",
    "refactoring",
    "debugging",
    "pairing",
    "review",
    "stratégie",
    "décision",
    "créativité",
    "réunion",
    "équipe",
    "collaboration",
    "motivation",
    "reconnaissance",
    "bien-être",
    "stress",
    "sommeil",
    "nutrition",
    "sécurité-routière",
    "premiers-secours",
    "évacuation",
    "habilitation",
    "électrique",
    "chantier",
    "logistique",
    "entrepôt",
    "transport",
    "achats",
    "fournisseurs",
    "contrat",
    "facture",
    "trésorerie",
    "paie",
    "congés",
    "formation",
    "compétences",
    "évaluation",
    "objectifs",
    "carrière",
    "mobilité",
    "handicap",
    "égalité",
    "harcèlement",
    "déontologie",
    "anticorruption",
    "blanchiment",
    "sanctions",
    "audit",
    "contrôle",
    "risques",
    "assurance",
    "sinistre",
    "réclamation",
    "satisfaction",
    "fidélisation",
    "prospection",
    "devis",
    "commande",
]
_SYLLABLES = (
    "pré", "con", "ré", "dé", "ma", "ni", "té", "lo", "gis", "tion", "ment", "ité", "eur",
    "age", "ance", "ique", "ver", "sal", "por", "tra", "ex", "in", "ou", "é", "val",
)  # fmt: skip


def _rare_words(count: int) -> list[str]:
    """Made-up words (same seed every run): the long tail of a real catalogue's text."""
    rng = random.Random(7)  # noqa: S311 - reproducible benchmark data
    words: dict[str, None] = {}
    while len(words) < count:
        words.setdefault("".join(rng.choices(_SYLLABLES, k=rng.randint(3, 5))), None)
    return list(words)


RARE_WORDS = _rare_words(3000)
THEMES = (("tech", ""), ("data", "tech"), ("security", "tech"), ("soft", ""), ("law", ""))
SKILLS = ("sql", "git", "soft", "security", "law", "sales")


class Words:
    """Zipf-distributed words: a few common, most rare (like real catalogue text)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._words = [*VOCABULARY, *RARE_WORDS]
        self._weights = [1 / (rank + 1) for rank in range(len(self._words))]

    def text(self, count: int) -> str:
        return " ".join(self._rng.choices(self._words, self._weights, k=count))


def _item_input(rng: random.Random, words: Words) -> ItemIn:
    return ItemIn.model_validate(
        {
            "title": words.text(rng.randint(3, 7)).capitalize(),
            "summary": words.text(rng.randint(10, 25)),
            "language": rng.choice(["fr", "fr", "en", "fr-CA"]),
            "estimated_minutes": rng.randint(2, 120),
            "theme_ids": [rng.choice([t for t, _ in THEMES])],
            "skills": [{"skill_id": rng.choice(SKILLS), "level": 2}],
            "wiki": {"markdown": words.text(rng.randint(60, 200))},
        }
    )


def learner(n: int) -> str:
    return f"u-learner-{n}"


async def seed_taxonomy(database: Database) -> None:
    taxonomy = Taxonomy(PostgresUnitOfWorkFactory(database))
    for theme, parent in THEMES:
        await taxonomy.upsert_theme(
            TENANT, ThemeIn(theme_id=theme, name=theme, parent_id=parent or None)
        )
    for skill in SKILLS:
        await taxonomy.upsert_skill(
            TENANT, SkillIn(skill_id=skill, name=skill, expert_ids=["u-expert"])
        )


class _TaxonomyOnce(PostgresTaxonomyRepository):
    """The taxonomy read once per seeding batch (items reuse five themes, six skills)."""

    def __init__(self, connection: Any, tenant_id: str) -> None:
        super().__init__(connection, tenant_id)
        self._themes: dict[tuple[str, ...], dict[str, Theme]] = {}
        self._skills: dict[tuple[str, ...], dict[str, Skill]] = {}

    async def themes_by_id(self, theme_ids: Sequence[str]) -> dict[str, Theme]:
        key = tuple(theme_ids)
        if key not in self._themes:
            self._themes[key] = await super().themes_by_id(theme_ids)
        return self._themes[key]

    async def skills_by_id(self, skill_ids: Sequence[str]) -> dict[str, Skill]:
        key = tuple(skill_ids)
        if key not in self._skills:
            self._skills[key] = await super().skills_by_id(skill_ids)
        return self._skills[key]


async def seed_items(database: Database, count: int, rng: random.Random, words: Words) -> list[str]:
    """Published items built by the catalog's item code and stored by its repository
    (search vector included), a batch per transaction, statements pipelined."""
    ids: list[str] = []
    with ProgressBar(console=console, transient=True) as bar:
        task = bar.add_task("seeding items", total=count)
        for start in range(0, count, SEED_BATCH):
            async with database.unit_of_work(TENANT) as core:
                taxonomy = _TaxonomyOnce(core.connection, TENANT)
                batch: list[Item] = []
                likes: dict[str, tuple[int, int]] = {}
                for _ in range(start, min(start + SEED_BATCH, count)):
                    fields = await item_fields(taxonomy, _item_input(rng, words))
                    now = datetime.now(UTC) - timedelta(minutes=rng.randint(0, 525_600))
                    batch.append(
                        Item(
                            item_id=uuid.uuid4().hex, fields=fields, author_id="u-author",
                            status="published", version=1, like_count=0, comment_count=0,
                            reviewer_id="u-expert", review_comment="", validated=True,
                            create_time=now, update_time=now, publish_time=now, sort_time=now,
                        )
                    )  # fmt: skip
                    likes[batch[-1].item_id] = (int(rng.paretovariate(1.5)) - 1, rng.randint(0, 3))
                uow = CatalogUnitOfWork(core, TENANT)
                async with core.connection.pipeline():
                    for item in batch:
                        await uow.items.add(item)
                await uow.popularity.add_counts("knowledge", likes, 2)
                ids.extend(item.item_id for item in batch)
            bar.update(task, completed=len(ids))
    return ids


async def seed_learners(database: Database, item_ids: list[str], learners: int) -> None:
    """One started progress row per learner (as StartItem leaves it); every third has
    completed another item (what the skills report counts)."""
    now = datetime.now(UTC)
    for start in range(0, learners, SEED_BATCH):
        async with database.unit_of_work(TENANT) as core:
            uow = CatalogUnitOfWork(core, TENANT)
            found = await uow.items.get_many(
                [
                    item_ids[n % len(item_ids)]
                    for n in range(start, min(start + SEED_BATCH, learners))
                ]
            )
            rows = []
            for n in range(start, min(start + SEED_BATCH, learners)):
                item = found[item_ids[n % len(item_ids)]]
                done = n % 3 == 0
                progress = Progress(
                    learner_id=learner(n), item_id=item.item_id, item_title=item.fields.title,
                    item_type=item.fields.type, percent=100 if done else 10, last_position="",
                    completed=done, started_at=now, updated_at=now,
                    completed_at=now if done else None,
                )  # fmt: skip
                rows.append((progress, item.fields.skill_ids))
            async with core.connection.pipeline():
                for progress, skills in rows:
                    await uow.progress.start(progress, skills)


async def seed_team(database: Database, item_ids: list[str], team: int, first: int = 0) -> str:
    """A published path of five items assigned by the manager to ``team`` learners from
    ``first`` on (each enrolled by the assignment, as CreateAssignments does); returns
    the path id."""
    factory = PostgresUnitOfWorkFactory(database)
    events = EventFactory(REGISTRY)
    admin = Principal("u-author", TENANT, frozenset({Role.ADMIN}))
    paths = Paths(factory, events)
    steps = [{"item_id": i, "mandatory": True} for i in item_ids[:5]]
    path = await paths.create_path(
        admin, PathIn.model_validate({"title": "Onboarding", "steps": steps})
    )
    await paths.publish_path(admin, path.path_id)
    assignments = Assignments(factory, events)
    manager = Principal(MANAGER, TENANT, frozenset({Role.MANAGER}))
    for start in range(first, first + team, 500):
        learners = [learner(n) for n in range(start, min(start + 500, first + team))]
        await assignments.assign(
            manager,
            AssignmentIn.model_validate(
                {"learner_ids": learners, "target_kind": "path", "target_id": path.path_id}
            ),
        )
    return path.path_id


def search_mix(rng: random.Random, count: int) -> list[tuple[str, pb.SearchItemsRequest]]:
    """(kind, request) pairs: free text FR/EN with accents and prefixes, filters, sorts."""
    common, rare = VOCABULARY[:20], VOCABULARY[50:]
    size = 20
    makers: list[tuple[str, Callable[[], pb.SearchItemsRequest]]] = [
        ("text: one common word", lambda: pb.SearchItemsRequest(query=rng.choice(common))),
        ("text: one rare word", lambda: pb.SearchItemsRequest(query=rng.choice(rare))),
        (
            "text: two words, accents dropped",
            lambda: pb.SearchItemsRequest(
                query=" ".join(w.replace("é", "e") for w in rng.sample(common, 2))
            ),
        ),
        ("text: prefix", lambda: pb.SearchItemsRequest(query=rng.choice(rare)[:4].upper())),
        ("text: very rare word", lambda: pb.SearchItemsRequest(query=rng.choice(RARE_WORDS))),
        (
            "text + theme + language",
            lambda: pb.SearchItemsRequest(query=rng.choice(common), theme_id="tech", language="fr"),
        ),
        (
            "filters, recency",
            lambda: pb.SearchItemsRequest(
                theme_id=rng.choice(["tech", "soft", "law"]),
                language=rng.choice(["fr", "en"]),
                sort=pb.SEARCH_SORT_RECENCY,
            ),
        ),
        (
            "filters, popularity",
            lambda: pb.SearchItemsRequest(
                skill_id=rng.choice(SKILLS), max_minutes=60, sort=pb.SEARCH_SORT_POPULARITY
            ),
        ),
        (
            "text, recency",
            lambda: pb.SearchItemsRequest(query=rng.choice(common), sort=pb.SEARCH_SORT_RECENCY),
        ),
        (
            "type, popularity",
            lambda: pb.SearchItemsRequest(
                types=[pb.KNOWLEDGE_TYPE_WIKI], sort=pb.SEARCH_SORT_POPULARITY
            ),
        ),
    ]
    mix = []
    for n in range(count):
        kind, make = makers[n % len(makers)]
        request = make()
        request.page_size = size
        mix.append((kind, request))
    return mix
