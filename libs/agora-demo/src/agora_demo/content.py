"""The demo tenant's catalogue: French and English items of several types, themes,
skills, a quiz (with its answer key, which only the catalog keeps) and a path."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from google.protobuf.timestamp_pb2 import Timestamp

from agora.catalog.v1 import catalog_pb2 as cat

THEMES = (
    ("conformite", "Conformité et sécurité · Compliance & security", ""),
    ("donnees-personnelles", "Données personnelles · Personal data", "conformite"),
    ("data", "Data et analyse · Data & analytics", ""),
)
GDPR = "rgpd"
SQL = "sql"
SKILLS = ((GDPR, "RGPD · GDPR"), (SQL, "SQL"))

QUIZ_KEY = {"q1": ["b"], "q2": ["b"], "q3": ["a"]}
"""The correct choices of the GDPR quiz (the demo's learners know them; Hugo errs once)."""
QUIZ_ONE_WRONG = {"q1": ["a"], "q2": ["a"], "q3": ["a"]}


@dataclass(frozen=True)
class SeedItem:
    key: str
    draft: cat.ItemDraft


def _skill(skill_id: str, level: int = 2) -> cat.SkillLevel:
    return cat.SkillLevel(skill_id=skill_id, level=level)


def _timestamp(moment: dt.datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def seed_items(now: dt.datetime) -> list[SeedItem]:
    """Seven published items: video, document, quiz, SCORM, MOOC link, wiki, session."""
    gdpr_themes = ["donnees-personnelles"]
    workshop = now.replace(hour=9, minute=30, second=0, microsecond=0) + dt.timedelta(days=10)
    return [
        SeedItem(
            "video",
            cat.ItemDraft(
                title="GDPR in five minutes",
                summary="The principles of the GDPR, lawful bases and data subjects' rights.",
                language="en",
                estimated_minutes=5,
                theme_ids=gdpr_themes,
                skills=[_skill(GDPR, 1)],
                video=cat.VideoContent(
                    url="https://www.youtube.com/watch?v=agora-gdpr-5min",
                    provider="youtube",
                    duration_seconds=300,
                ),
            ),
        ),
        SeedItem(
            "document",
            cat.ItemDraft(
                title="Guide RGPD pour les équipes",
                summary="Registre des traitements, durées de conservation, droits des personnes.",
                language="fr",
                estimated_minutes=20,
                theme_ids=gdpr_themes,
                skills=[_skill(GDPR, 2)],
                document=cat.DocumentContent(
                    url="https://intranet.example/docs/guide-rgpd.pdf",
                    format=cat.DOCUMENT_FORMAT_PDF,
                ),
            ),
        ),
        SeedItem(
            "quiz",
            cat.ItemDraft(
                title="Quiz RGPD : les bases",
                summary="Trois questions pour vérifier l'essentiel.",
                language="fr",
                estimated_minutes=5,
                theme_ids=gdpr_themes,
                skills=[_skill(GDPR, 2)],
                quiz=cat.QuizContentInput(
                    pass_mark_percent=66,
                    max_attempts=3,
                    questions=[
                        cat.QuizQuestionInput(
                            question_id="q1",
                            text="Sous quel délai notifier une violation de données à la CNIL ?",
                            choices=[
                                cat.QuizChoice(choice_id="a", text="24 heures"),
                                cat.QuizChoice(choice_id="b", text="72 heures"),
                                cat.QuizChoice(choice_id="c", text="Une semaine"),
                            ],
                            correct_choice_ids=QUIZ_KEY["q1"],
                        ),
                        cat.QuizQuestionInput(
                            question_id="q2",
                            text="Des données pseudonymisées sont-elles anonymes ?",
                            choices=[
                                cat.QuizChoice(choice_id="a", text="Oui"),
                                cat.QuizChoice(
                                    choice_id="b", text="Non, elles restent personnelles"
                                ),
                            ],
                            correct_choice_ids=QUIZ_KEY["q2"],
                        ),
                        cat.QuizQuestionInput(
                            question_id="q3",
                            text="Qui peut exercer un droit d'accès ?",
                            choices=[
                                cat.QuizChoice(choice_id="a", text="Toute personne concernée"),
                                cat.QuizChoice(choice_id="b", text="Seulement les clients"),
                                cat.QuizChoice(choice_id="c", text="Seulement les salariés"),
                            ],
                            correct_choice_ids=QUIZ_KEY["q3"],
                        ),
                    ],
                ),
            ),
        ),
        SeedItem(
            "scorm",
            cat.ItemDraft(
                title="Secure data handling (SCORM)",
                summary="An interactive module on handling customer data safely.",
                language="en",
                estimated_minutes=30,
                theme_ids=gdpr_themes,
                skills=[_skill(GDPR, 3)],
                scorm=cat.ScormContent(
                    package_uri="s3://agora-demo/scorm/secure-data.zip",
                    launch_url="https://lms.example/scorm/secure-data/index.html",
                    scorm_version="2004",
                ),
            ),
        ),
        SeedItem(
            "mooc",
            cat.ItemDraft(
                title="SQL for analysts (MOOC)",
                summary="A free online course: SELECT, JOIN, GROUP BY, window functions.",
                language="en",
                estimated_minutes=600,
                theme_ids=["data"],
                skills=[_skill(SQL, 2)],
                link=cat.LinkContent(
                    url="https://mooc.example/sql-for-analysts", kind=cat.LINK_KIND_MOOC
                ),
            ),
        ),
        SeedItem(
            "wiki",
            cat.ItemDraft(
                title="Les jointures SQL expliquées",
                summary="INNER, LEFT et FULL JOIN avec des exemples concrets.",
                language="fr",
                estimated_minutes=10,
                theme_ids=["data"],
                skills=[_skill(SQL, 2)],
                wiki=cat.WikiContent(
                    markdown=(
                        "# Les jointures\n\n`INNER JOIN` garde les lignes présentes des deux "
                        "côtés ; `LEFT JOIN` garde toutes celles de gauche."
                    )
                ),
            ),
        ),
        SeedItem(
            "session",
            cat.ItemDraft(
                title="Atelier RGPD en présentiel",
                summary="Deux heures de cas pratiques avec la DPO.",
                language="fr",
                estimated_minutes=120,
                theme_ids=gdpr_themes,
                skills=[_skill(GDPR, 3)],
                session=cat.SessionContent(
                    starts_at=_timestamp(workshop),
                    ends_at=_timestamp(workshop + dt.timedelta(hours=2)),
                    place="Paris, salle Lovelace",
                    seats=12,
                ),
            ),
        ),
    ]


def shared_knowledge() -> cat.ItemDraft:
    """What Léo, a contributor, shares in the story (then Sofia validates it)."""
    return cat.ItemDraft(
        title="Pseudonymiser un jeu de données en 3 étapes",
        summary="La méthode de l'équipe Data : inventaire, hachage salé, table de correspondance.",
        language="fr",
        estimated_minutes=8,
        theme_ids=["donnees-personnelles"],
        skills=[_skill(GDPR, 3)],
        wiki=cat.WikiContent(
            markdown=(
                "## 1. Inventorier\nListez les colonnes qui identifient une personne.\n\n"
                "## 2. Hacher avec un sel\nRemplacez chaque identifiant par "
                "`sha256(sel + valeur)` ; gardez le sel dans le coffre-fort.\n\n"
                "## 3. Séparer la table de correspondance\nElle reste chez la DPO, jamais "
                "avec les données."
            )
        ),
    )
