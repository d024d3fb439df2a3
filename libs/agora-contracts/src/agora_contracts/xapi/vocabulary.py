"""Verb and activity-type IRIs: published vocabularies only (ADL, Activity Streams, cmi5).

Any LRS and analytics tool already knows these; Agora adds no verb of its own.
"""

from __future__ import annotations

from typing import Final

from agora_contracts.xapi.statement import Verb

_ADL_VERBS: Final = "http://adlnet.gov/expapi/verbs/"
_ADL_ACTIVITIES: Final = "http://adlnet.gov/expapi/activities/"

LAUNCHED: Final = Verb(id=f"{_ADL_VERBS}launched", display={"en-US": "launched"})
PROGRESSED: Final = Verb(id=f"{_ADL_VERBS}progressed", display={"en-US": "progressed"})
COMPLETED: Final = Verb(id=f"{_ADL_VERBS}completed", display={"en-US": "completed"})
PASSED: Final = Verb(id=f"{_ADL_VERBS}passed", display={"en-US": "passed"})
FAILED: Final = Verb(id=f"{_ADL_VERBS}failed", display={"en-US": "failed"})
COMMENTED: Final = Verb(id=f"{_ADL_VERBS}commented", display={"en-US": "commented"})
LIKED: Final = Verb(id="http://activitystrea.ms/schema/1.0/like", display={"en-US": "liked"})

PROGRESS_EXTENSION: Final = "https://w3id.org/xapi/cmi5/result/extensions/progress"
"""cmi5's result extension: progress in percent (integer 0 to 100)."""

ACTIVITY_TYPES: Final[dict[str, str]] = {
    "scorm": f"{_ADL_ACTIVITIES}course",
    "video": f"{_ADL_ACTIVITIES}media",
    "document": f"{_ADL_ACTIVITIES}file",
    "wiki": f"{_ADL_ACTIVITIES}lesson",
    "link": f"{_ADL_ACTIVITIES}link",
    "quiz": f"{_ADL_ACTIVITIES}assessment",
    "session": f"{_ADL_ACTIVITIES}meeting",
    "path": f"{_ADL_ACTIVITIES}module",
    "question": f"{_ADL_ACTIVITIES}question",
}
"""Agora kind of activity → ADL activity type (kinds not listed carry none)."""
