"""The catalog's use cases, one object per capability (bootstrap builds them)."""

from __future__ import annotations

from dataclasses import dataclass

from agora_catalog.service_layer.assignments import Assignments
from agora_catalog.service_layer.items import Items
from agora_catalog.service_layer.paths import Paths
from agora_catalog.service_layer.progress import Learning
from agora_catalog.service_layer.quizzes import Quizzes
from agora_catalog.service_layer.review import Review
from agora_catalog.service_layer.search import Search
from agora_catalog.service_layer.sessions import Sessions
from agora_catalog.service_layer.skills_report import SkillsReports
from agora_catalog.service_layer.taxonomy import Taxonomy


@dataclass(frozen=True)
class UseCases:
    taxonomy: Taxonomy
    items: Items
    review: Review
    search: Search
    sessions: Sessions
    learning: Learning
    paths: Paths
    assignments: Assignments
    quizzes: Quizzes
    reports: SkillsReports
