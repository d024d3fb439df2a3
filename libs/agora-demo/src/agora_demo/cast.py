"""The people of the demo tenant: one per role, French and English speakers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """Someone in the demo tenant; ``roles`` go into their token."""

    person_id: str
    name: str
    roles: tuple[str, ...]
    locale: str
    time_zone: str

    @property
    def label(self) -> str:
        return f"{self.name} ({', '.join(self.roles)})"


INES = Person("ines", "Inès Moreau", ("admin",), "fr", "Europe/Paris")
MARC = Person("marc", "Marc Dubois", ("manager", "learner"), "fr", "Europe/Paris")
SOFIA = Person("sofia", "Sofia Rossi", ("expert", "learner"), "en", "Europe/Rome")
LEO = Person("leo", "Léo Martin", ("contributor", "learner"), "fr", "Europe/Paris")
EMMA = Person("emma", "Emma Clarke", ("learner",), "en", "Europe/London")
HUGO = Person("hugo", "Hugo Bernard", ("learner",), "fr", "Europe/Paris")
CHLOE = Person("chloe", "Chloé Petit", ("learner",), "fr", "Europe/Paris")

EVERYONE = (INES, MARC, SOFIA, LEO, EMMA, HUGO, CHLOE)
LEARNERS = (EMMA, HUGO, CHLOE)
