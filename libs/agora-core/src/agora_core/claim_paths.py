"""Where in a token's claims a value lives: ``realm_access.roles``, ``tid``, ``groups``.

Identity providers put the caller's roles and organisation in different places
(Keycloak ``realm_access.roles``, Entra ID ``roles`` and ``tid``, Okta ``groups``,
Auth0 namespaced claims such as ``https://agora.example/roles``). A :class:`ClaimPath`
names one of them:

* names joined by dots walk into nested objects: ``realm_access.roles``,
  ``resource_access.agora-api.roles``;
* a name holding dots or slashes is written as a bracketed JSON string:
  ``["https://agora.example/roles"]``, ``org["agora.tenant"]``.

Parsing happens once, at start-up (settings validation), so a bad path stops the
service with a message naming the variable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

MAX_PATH_LENGTH: Final = 200
MAX_DEPTH: Final = 8
_BARE: Final = re.compile(r"[A-Za-z0-9_$:-]+")
_QUOTED: Final = re.compile(r'\["(?:[^"\\]|\\.)*"\]')


class MissingClaim(LookupError):
    """The token has no value at the path."""


@dataclass(frozen=True)
class ClaimPath:
    """A parsed path to one claim (see the module docstring for the syntax)."""

    text: str
    segments: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> ClaimPath:
        """Parse ``text``; ValueError says what is wrong with it."""
        if not text or len(text) > MAX_PATH_LENGTH:
            raise ValueError(f"claim path must have 1 to {MAX_PATH_LENGTH} characters")
        segments: list[str] = []
        position = 0
        while position < len(text):
            if segments and text[position] == ".":
                position += 1
            elif segments and text[position] != "[":
                raise ValueError(f"claim path {text!r}: expected '.' or '[' at {position}")
            quoted = _QUOTED.match(text, position)
            bare = None if quoted else _BARE.match(text, position)
            match = quoted or bare
            if match is None:
                raise ValueError(
                    f"claim path {text!r}: expected a name (letters, digits, _ $ : -) or "
                    f'["quoted name"] at {position}'
                )
            segment = json.loads(match.group()[1:-1]) if quoted else match.group()
            if not isinstance(segment, str) or not segment:
                raise ValueError(f"claim path {text!r}: empty name at {position}")
            segments.append(segment)
            position = match.end()
        if text.endswith("."):
            raise ValueError(f"claim path {text!r} ends with '.'")
        if len(segments) > MAX_DEPTH:
            raise ValueError(f"claim path {text!r} is deeper than {MAX_DEPTH}")
        return cls(text=text, segments=tuple(segments))

    def lookup(self, claims: Mapping[str, object]) -> object:
        """The value at this path; MissingClaim when a step is absent or not an object."""
        value: object = claims
        for segment in self.segments:
            if not isinstance(value, Mapping) or segment not in value:
                raise MissingClaim(self.text)
            value = value[segment]
        if value is None:
            raise MissingClaim(self.text)
        return value

    def __str__(self) -> str:
        return self.text
