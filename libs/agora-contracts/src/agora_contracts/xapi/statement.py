"""The parts of an xAPI 1.0.3 Statement that Agora emits, as frozen pydantic models.

Only what the projection uses is modelled (Agent with an ``account``, Verb, Activity,
Result with Score, Context with registration, contextActivities and extensions); the
full statement grammar is the JSON Schema in ``statement.schema.json``. Models
serialise with the spec's property names (``objectType``, ``homePage``,
``contextActivities``…) and leave unset properties out, because xAPI forbids ``null``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_serializer,
    model_serializer,
)

XAPI_VERSION: Final = "1.0.3"

IRI_PATTERN = r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$"
Iri = Annotated[str, Field(pattern=IRI_PATTERN, max_length=2048)]
"""An absolute IRI (scheme, colon, no whitespace), as xAPI requires for every identifier."""

LanguageMap = dict[Annotated[str, Field(pattern=r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")], str]
"""RFC 5646 language tag → text."""

Extensions = dict[Annotated[str, Field(pattern=IRI_PATTERN)], Any]
"""IRI → any JSON value."""


class XapiModel(BaseModel):
    """Frozen, spec names on the wire, no nulls.

    Unknown properties are ignored, like in every event payload: a reader built on this
    version keeps working when a later minor version emits more of the statement. What
    Agora emits is checked against the full xAPI schema in its tests instead.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        serialize_by_alias=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    @model_serializer(mode="wrap")
    def _without_nulls(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {key: value for key, value in data.items() if value is not None}


class Account(XapiModel):
    """An account on a system: the only identifier Agora gives (never an email)."""

    home_page: Iri = Field(
        alias="homePage",
        description="The tenant's canonical home page (configured per tenant).",
        examples=["https://learn.example.com"],
    )
    name: str = Field(
        min_length=1,
        max_length=200,
        description="The person's id in Agora.",
        examples=["u-ada"],
    )


class Agent(XapiModel):
    """The person a statement is about."""

    object_type: Literal["Agent"] = Field(
        default="Agent", alias="objectType", description="Always Agent.", examples=["Agent"]
    )
    account: Account = Field(
        description="Tenant home page and person id.",
        examples=[{"homePage": "https://learn.example.com", "name": "u-ada"}],
    )


class Verb(XapiModel):
    """What the actor did."""

    id: Iri = Field(
        description="Verb IRI (ADL or Activity Streams vocabulary).",
        examples=["http://adlnet.gov/expapi/verbs/completed"],
    )
    display: LanguageMap = Field(
        description="Human-readable name per language.", examples=[{"en-US": "completed"}]
    )


class ActivityDefinition(XapiModel):
    """Metadata of an activity."""

    name: LanguageMap | None = Field(
        default=None, description="Title per language.", examples=[{"und": "Intro to SQL"}]
    )
    type: Iri | None = Field(
        default=None,
        description="Activity type IRI.",
        examples=["http://adlnet.gov/expapi/activities/media"],
    )
    extensions: Extensions | None = Field(
        default=None,
        description="Agora attributes of the activity (kind of item, etc.).",
        examples=[{"https://agora.invalid/xapi/extensions/item-type": "video"}],
    )


class Activity(XapiModel):
    """Something learnt or interacted with: an item, a path, a question, a comment."""

    object_type: Literal["Activity"] = Field(
        default="Activity",
        alias="objectType",
        description="Always Activity.",
        examples=["Activity"],
    )
    id: Iri = Field(
        description="Activity IRI under the tenant's configured base.",
        examples=["https://learn.example.com/xapi/activities/knowledge/k-42"],
    )
    definition: ActivityDefinition | None = Field(
        default=None, description="Name and type.", examples=[{"name": {"und": "Intro to SQL"}}]
    )


class Score(XapiModel):
    """A score; ``scaled`` in [-1, 1], ``raw`` between ``min`` and ``max``."""

    scaled: float | None = Field(
        default=None, ge=-1, le=1, description="Score scaled to [-1, 1].", examples=[0.85]
    )
    raw: float | None = Field(default=None, description="Score as given.", examples=[85.0])
    min: float | None = Field(default=None, description="Lowest possible raw.", examples=[0.0])
    max: float | None = Field(default=None, description="Highest possible raw.", examples=[100.0])


class Result(XapiModel):
    """Outcome of the statement."""

    score: Score | None = Field(
        default=None, description="Quiz score.", examples=[{"scaled": 0.85, "raw": 85}]
    )
    success: bool | None = Field(default=None, description="Passed or not.", examples=[True])
    completion: bool | None = Field(
        default=None, description="Whether the activity was completed.", examples=[True]
    )
    response: str | None = Field(
        default=None, max_length=2000, description="A learner's response.", examples=["Nice!"]
    )
    extensions: Extensions | None = Field(
        default=None,
        description="Progress and other measures.",
        examples=[{"https://w3id.org/xapi/cmi5/result/extensions/progress": 60}],
    )


class ContextActivities(XapiModel):
    """Activities giving context: the path an item belongs to, the space of a comment."""

    parent: tuple[Activity, ...] | None = Field(
        default=None, description="Direct parents.", examples=[[]]
    )
    grouping: tuple[Activity, ...] | None = Field(
        default=None, description="Indirectly related activities.", examples=[[]]
    )
    category: tuple[Activity, ...] | None = Field(
        default=None, description="Profiles the statement follows.", examples=[[]]
    )
    other: tuple[Activity, ...] | None = Field(
        default=None, description="Other related activities.", examples=[[]]
    )


class Context(XapiModel):
    """Where and within what the statement happened."""

    registration: uuid.UUID | None = Field(
        default=None,
        description="Groups the statements of one learner's run through an item or path.",
        examples=["6f1c4a52-3c1e-5a8d-9b7e-0f6c2d1e4a10"],
    )
    context_activities: ContextActivities | None = Field(
        default=None, alias="contextActivities", description="Related activities.", examples=[{}]
    )
    platform: str | None = Field(
        default=None, max_length=100, description="The platform.", examples=["Agora"]
    )
    extensions: Extensions | None = Field(
        default=None,
        description="Tenant and the source event.",
        examples=[{"https://agora.invalid/xapi/extensions/tenant": "acme"}],
    )


class Statement(XapiModel):
    """One xAPI statement as Agora emits it."""

    id: uuid.UUID = Field(
        description="uuid5 of the source event id: redelivery gives the same id (LRS dedupes).",
        examples=["3e8a1b0c-59e4-5b1f-8a0d-3f64f0c7d2aa"],
    )
    actor: Agent = Field(
        description="The learner, as an account on the tenant's home page.",
        examples=[{"objectType": "Agent", "account": {"homePage": "https://x.test", "name": "u"}}],
    )
    verb: Verb = Field(
        description="What they did.",
        examples=[{"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "x"}}],
    )
    object: Activity = Field(
        description="What they did it to.",
        examples=[{"objectType": "Activity", "id": "https://x.test/xapi/activities/k/k-42"}],
    )
    result: Result | None = Field(default=None, description="Outcome.", examples=[None])
    context: Context | None = Field(default=None, description="Context.", examples=[None])
    timestamp: AwareDatetime = Field(
        description="When it happened (from the source event).",
        examples=["2026-11-23T09:30:00Z"],
    )
    version: Literal["1.0.3"] = Field(
        default=XAPI_VERSION, description="xAPI version of the statement.", examples=["1.0.3"]
    )

    @field_serializer("timestamp")
    def _iso_utc(self, value: datetime) -> str:
        return value.isoformat().replace("+00:00", "Z")
