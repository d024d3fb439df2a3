"""Finding a person id inside stored documents and replacing it.

A person id occurs as a whole value (``author_id``), inside a list
(``mentioned_user_ids``), inside a composite key (``tenant:kind:target:person``) or as
a mention in text (``@u-ada``). :func:`scrubbed` replaces every occurrence as a whole
token: ``u-ada`` is replaced in ``@u-ada,`` and ``t1:knowledge:k1:u-ada`` but not in
``u-adam`` or ``x-u-ada``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

# Characters that may continue an id (see the mention rules of community): a match
# must not be glued to one of them on either side. A "." may end a sentence, so it
# only continues the id when an id character follows it.
_ID_CHAR = r"A-Za-z0-9_\-"


def mention_regex(person_id: str) -> str:
    """The regular expression of ``person_id`` as a whole token, in the syntax Python's
    ``re`` and PostgreSQL's ``~``/``regexp_replace`` share (for erasure in SQL)."""
    return rf"(?<![{_ID_CHAR}.]){re.escape(person_id)}(?![{_ID_CHAR}])(?!\.[{_ID_CHAR}])"


@lru_cache(maxsize=256)
def _pattern(person_id: str) -> re.Pattern[str]:
    return re.compile(mention_regex(person_id))


def mentions_person(text: str, person_id: str) -> bool:
    """True when ``text`` holds ``person_id`` as a whole token."""
    return person_id in text and _pattern(person_id).search(text) is not None


def scrubbed(value: Any, person_id: str, replacement: str) -> Any:
    """``value`` with every occurrence of ``person_id`` replaced (recursively)."""
    if isinstance(value, str):
        if person_id not in value:
            return value
        return _pattern(person_id).sub(replacement, value)
    if isinstance(value, Mapping):
        return {
            scrubbed(key, person_id, replacement): scrubbed(item, person_id, replacement)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrubbed(item, person_id, replacement) for item in value]
    return value


def contains_person(value: Any, person_id: str) -> bool:
    """True when ``person_id`` occurs anywhere in ``value`` (keys included)."""
    if isinstance(value, str):
        return mentions_person(value, person_id)
    if isinstance(value, Mapping):
        return any(
            contains_person(key, person_id) or contains_person(item, person_id)
            for key, item in value.items()
        )
    if isinstance(value, list | tuple):
        return any(contains_person(item, person_id) for item in value)
    return False
