"""What clients may write, with every size limit in one place.

The servicer copies protobuf fields into these models (``parse_request``), so a bad
field becomes INVALID_ARGUMENT naming its path (``item.quiz.questions.0.text``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agora_core.text import PlainText

MAX_TITLE: Final = 300
MAX_SUMMARY: Final = 2000
MAX_MARKDOWN: Final = 100_000
MAX_URL: Final = 2000
MAX_THEMES: Final = 20
MAX_SKILLS: Final = 20
MAX_QUESTIONS: Final = 100
MAX_CHOICES: Final = 20
MAX_STEPS: Final = 100
MAX_LEARNERS_PER_ASSIGNMENT: Final = 500
MAX_EXPERTS: Final = 200

NO_NUL: Final = r"^[^\x00]*$"
"""Text stored as is: PostgreSQL text and JSON cannot hold a NUL character."""
Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@-]*$")]
Url = Annotated[str, Field(max_length=MAX_URL, pattern=r"^https?://[^\s\x00]+$")]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True, extra="forbid")


class SkillLevelIn(Strict):
    skill_id: Id
    level: int = Field(ge=1, le=5)


class ScormIn(Strict):
    package_uri: str = Field(max_length=MAX_URL, pattern=r"^(s3|gs|https?)://[^\s\x00]+$")
    launch_url: Url
    scorm_version: Literal["1.2", "2004"]


class VideoIn(Strict):
    url: Url
    provider: Literal["internal", "youtube", "ted", "vimeo", "other"]
    duration_seconds: int = Field(default=0, ge=0, le=7 * 24 * 3600)


class DocumentIn(Strict):
    url: Url
    format: Literal["pdf", "powerpoint", "word", "spreadsheet", "other"]


class WikiIn(Strict):
    markdown: str = Field(min_length=1, max_length=MAX_MARKDOWN)


class LinkIn(Strict):
    url: Url
    kind: Literal["article", "mooc", "other"]


class ChoiceIn(Strict):
    choice_id: Id
    text: str = Field(min_length=1, max_length=1000, pattern=NO_NUL)


class QuestionIn(Strict):
    question_id: Id
    text: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
    choices: list[ChoiceIn] = Field(min_length=2, max_length=MAX_CHOICES)
    correct_choice_ids: list[Id] = Field(min_length=1, max_length=MAX_CHOICES)

    @model_validator(mode="after")
    def _key_names_choices(self) -> QuestionIn:
        ids = [c.choice_id for c in self.choices]
        if len(set(ids)) != len(ids):
            raise ValueError("choice ids must be unique")
        if not set(self.correct_choice_ids) <= set(ids):
            raise ValueError("correct_choice_ids must name choices of the question")
        return self


class QuizIn(Strict):
    questions: list[QuestionIn] = Field(min_length=1, max_length=MAX_QUESTIONS)
    pass_mark_percent: float = Field(ge=0, le=100)
    max_attempts: int = Field(default=0, ge=0, le=100)

    @field_validator("questions")
    @classmethod
    def _unique_questions(cls, questions: list[QuestionIn]) -> list[QuestionIn]:
        ids = [q.question_id for q in questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")
        return questions


class SessionIn(Strict):
    starts_at: datetime
    ends_at: datetime
    place: str = Field(min_length=1, max_length=300, pattern=NO_NUL)
    seats: int = Field(ge=1, le=100_000)

    @model_validator(mode="after")
    def _ends_after_start(self) -> SessionIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


Content = ScormIn | VideoIn | DocumentIn | WikiIn | LinkIn | QuizIn | SessionIn
CONTENT_TYPES: Final[dict[str, type[Strict]]] = {
    "scorm": ScormIn,
    "video": VideoIn,
    "document": DocumentIn,
    "wiki": WikiIn,
    "link": LinkIn,
    "quiz": QuizIn,
    "session": SessionIn,
}


class ItemContentIn(Strict):
    """The type-specific content of an item: one field per type (its oneof)."""

    scorm: ScormIn | None = None
    video: VideoIn | None = None
    document: DocumentIn | None = None
    wiki: WikiIn | None = None
    link: LinkIn | None = None
    quiz: QuizIn | None = None
    session: SessionIn | None = None

    @property
    def content_kind(self) -> str | None:
        """The content type set (None: none is)."""
        return next((k for k in CONTENT_TYPES if getattr(self, k) is not None), None)


class ItemIn(ItemContentIn):
    """An item as its author writes it; exactly one content field is set."""

    title: PlainText = Field(min_length=1, max_length=MAX_TITLE)
    summary: PlainText = Field(default="", max_length=MAX_SUMMARY)
    language: Language
    estimated_minutes: int = Field(default=0, ge=0, le=100_000)
    theme_ids: list[Id] = Field(default_factory=list, max_length=MAX_THEMES)
    skills: list[SkillLevelIn] = Field(default_factory=list, max_length=MAX_SKILLS)
    space_id: Id | None = None

    @property
    def kind(self) -> str:
        kind = self.content_kind
        if kind is None:
            raise ValueError("no content")
        return kind

    @property
    def content(self) -> Content:
        value: Content = getattr(self, self.kind)
        return value


class ItemPatch(ItemContentIn):
    """The fields of an item an update mask names (AIP-134): the fields set here
    (``model_fields_set``) are the ones to change; ``space_id`` None clears it."""

    title: Annotated[PlainText, Field(min_length=1, max_length=MAX_TITLE)] | None = None
    summary: Annotated[PlainText, Field(max_length=MAX_SUMMARY)] | None = None
    language: Language | None = None
    estimated_minutes: Annotated[int, Field(ge=0, le=100_000)] | None = None
    theme_ids: Annotated[list[Id], Field(max_length=MAX_THEMES)] | None = None
    skills: Annotated[list[SkillLevelIn], Field(max_length=MAX_SKILLS)] | None = None
    space_id: Id | None = None


class ItemPatchCommand(Strict):
    """Wrapper so violations are named from the request (``item.summary``)."""

    item: ItemPatch


class ItemCommand(Strict):
    """Wrapper so violations are named from the request (``item.title``)."""

    item: ItemIn


class ThemeIn(Strict):
    theme_id: Id
    name: PlainText = Field(min_length=1, max_length=200)
    parent_id: Id | None = None


class SkillIn(Strict):
    skill_id: Id
    name: PlainText = Field(min_length=1, max_length=200)
    expert_ids: list[Id] = Field(default_factory=list, max_length=MAX_EXPERTS)
    trainer_ids: list[Id] = Field(default_factory=list, max_length=MAX_EXPERTS)


class ReviewIn(Strict):
    item_id: Id
    decision: Literal["approved", "changes_requested", "rejected"]
    comment: PlainText = Field(default="", max_length=4000)

    @model_validator(mode="after")
    def _comment_when_sent_back(self) -> ReviewIn:
        if self.decision != "approved" and not self.comment:
            raise ValueError("a comment is required unless approving")
        return self


class StepIn(Strict):
    item_id: Id
    mandatory: bool = True


class PathIn(Strict):
    title: PlainText = Field(min_length=1, max_length=MAX_TITLE)
    description: PlainText = Field(default="", max_length=MAX_SUMMARY)
    objectives: list[Annotated[PlainText, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=20
    )
    steps: list[StepIn] = Field(min_length=1, max_length=MAX_STEPS)
    target_skills: list[SkillLevelIn] = Field(default_factory=list, max_length=MAX_SKILLS)
    onboarding: bool = False
    space_id: Id | None = None

    @field_validator("steps")
    @classmethod
    def _steps_valid(cls, steps: list[StepIn]) -> list[StepIn]:
        ids = [s.item_id for s in steps]
        if len(set(ids)) != len(ids):
            raise ValueError("an item may appear once in a path")
        if not any(s.mandatory for s in steps):
            raise ValueError("a path needs at least one mandatory step")
        return steps


class AssignmentIn(Strict):
    learner_ids: list[Id] = Field(min_length=1, max_length=MAX_LEARNERS_PER_ASSIGNMENT)
    target_kind: Literal["knowledge", "path"]
    target_id: Id
    due_at: datetime | None = None
    compliance: bool = False


class ProgressIn(Strict):
    item_id: Id
    percent: int = Field(ge=0, le=100)
    last_position: str = Field(default="", max_length=500, pattern=NO_NUL)


class AnswerIn(Strict):
    question_id: Id
    choice_ids: list[Id] = Field(max_length=MAX_CHOICES)


class AttemptIn(Strict):
    item_id: Id
    answers: list[AnswerIn] = Field(max_length=MAX_QUESTIONS)


class SearchIn(Strict):
    query: str = Field(default="", max_length=500)
    types: list[Literal["scorm", "video", "document", "wiki", "link", "quiz", "session"]] = Field(
        default_factory=list, max_length=7
    )
    theme_id: Id | None = None
    skill_id: Id | None = None
    language: Language | None = None
    max_minutes: int = Field(default=0, ge=0, le=100_000)
    status: str = "published"
    space_id: Id | None = None
    sort: Literal["relevance", "recency", "popularity"] | None = None
