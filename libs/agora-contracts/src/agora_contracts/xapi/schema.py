"""The xAPI 1.0.3 Statement JSON Schema shipped with the contracts.

No maintained, installable package publishes a JSON Schema of xAPI statements (npm
has JavaScript validators, PyPI nothing), so ``statement.schema.json`` is written here
from the xAPI 1.0.3 specification, Part Two (Data), "Statement Properties", as JSON
Schema draft 2020-12. It covers the whole statement grammar, not only what Agora
emits, so it rejects what an LRS would reject (nulls, unknown properties, agents with
zero or two identifiers, a scaled score outside [-1, 1], a verb without an IRI).
Rules JSON Schema cannot state (``raw`` between ``min`` and ``max``, RFC 5646 tags in
full) are not in it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

SCHEMA_RESOURCE = "statement.schema.json"


@cache
def _text() -> str:
    return files(__package__).joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")


def statement_schema() -> dict[str, Any]:
    """A fresh copy of the statement schema (JSON Schema draft 2020-12)."""
    loaded: dict[str, Any] = json.loads(_text())
    return loaded
