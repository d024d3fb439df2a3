"""The words of each notification, in English and French (pure).

A notification's title and body are rendered once, in the recipient's locale, when it
is created: the inbox shows them as stored and emails reuse them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from agora_notifications.domain.model import SUPPORTED_LOCALES, Category


@dataclass(frozen=True)
class Text:
    title: str
    body: str


_TEXTS: Final[dict[str, dict[Category, tuple[str, str]]]] = {
    "en": {
        Category.SUBMISSION_REVIEWED: (
            "Your submission “{title}” was {decision}",
            "{reviewer} reviewed “{title}”: {decision}. {comment}",
        ),
        Category.REVIEW_REQUESTED: (
            "“{title}” is waiting for your review",
            "A new version of “{title}” is in your review queue.",
        ),
        Category.ANSWER_POSTED: (
            "New answer to “{question}”",
            "{author} answered your question: {excerpt}",
        ),
        Category.COMMENT_POSTED: (
            "New comment on your content",
            "{author} commented: {excerpt}",
        ),
        Category.MENTION: ("{author} mentioned you", "{excerpt}"),
        Category.BADGE_AWARDED: ("You earned the badge “{badge}”", "Congratulations!"),
        Category.LEVEL_REACHED: (
            "You reached level {level}: {level_name}",
            "Keep learning to reach the next one.",
        ),
        Category.CHALLENGE_STARTED: (
            "Challenge “{title}” has started",
            "It ends on {ends_at}. Good luck!",
        ),
        Category.CHALLENGE_WON: ("You won the challenge “{title}”", "Well done!"),
        Category.ASSIGNMENT_CREATED: (
            "New assignment: “{title}”",
            "You were assigned “{title}”. {due}",
        ),
        Category.ASSIGNMENT_DUE_SOON: (
            "“{title}” is due soon",
            "Your assignment “{title}” is due on {due_at}.",
        ),
        Category.ASSIGNMENT_OVERDUE: (
            "“{title}” is overdue",
            "Your assignment “{title}” was due on {due_at}.",
        ),
        Category.PATH_COMPLETED: ("You completed the path “{title}”", "Congratulations!"),
        Category.RELAUNCH_REMINDER: (
            "Pick up “{title}” where you left off",
            "You started “{title}” and have not come back to it for a while.",
        ),
        Category.STALLED_WORK: (
            "{count} assignment(s) of your team are stalled",
            "Still not done after the reminders: {items}",
        ),
        Category.NUDGE: (
            "A short one for today: “{title}”",
            "About {minutes} minutes, from your learning.",
        ),
    },
    "fr": {
        Category.SUBMISSION_REVIEWED: (
            "Votre contribution « {title} » : {decision}",
            "{reviewer} a examiné « {title} » : {decision}. {comment}",
        ),
        Category.REVIEW_REQUESTED: (
            "« {title} » attend votre validation",
            "Une nouvelle version de « {title} » est dans votre file de validation.",
        ),
        Category.ANSWER_POSTED: (
            "Nouvelle réponse à « {question} »",
            "{author} a répondu à votre question : {excerpt}",
        ),
        Category.COMMENT_POSTED: (
            "Nouveau commentaire sur votre contenu",
            "{author} a commenté : {excerpt}",
        ),
        Category.MENTION: ("{author} vous a mentionné", "{excerpt}"),
        Category.BADGE_AWARDED: ("Vous avez obtenu le badge « {badge} »", "Félicitations !"),
        Category.LEVEL_REACHED: (
            "Vous avez atteint le niveau {level} : {level_name}",
            "Continuez pour atteindre le suivant.",
        ),
        Category.CHALLENGE_STARTED: (
            "Le défi « {title} » a commencé",
            "Il se termine le {ends_at}. Bonne chance !",
        ),
        Category.CHALLENGE_WON: ("Vous avez gagné le défi « {title} »", "Bravo !"),
        Category.ASSIGNMENT_CREATED: (
            "Nouvelle assignation : « {title} »",
            "« {title} » vous a été assigné. {due}",
        ),
        Category.ASSIGNMENT_DUE_SOON: (
            "« {title} » arrive à échéance",
            "Votre assignation « {title} » est à terminer pour le {due_at}.",
        ),
        Category.ASSIGNMENT_OVERDUE: (
            "« {title} » est en retard",
            "Votre assignation « {title} » était à terminer pour le {due_at}.",
        ),
        Category.PATH_COMPLETED: ("Vous avez terminé le parcours « {title} »", "Félicitations !"),
        Category.RELAUNCH_REMINDER: (
            "Reprenez « {title} » là où vous l'avez laissé",
            "Vous avez commencé « {title} » et n'y êtes pas revenu depuis un moment.",
        ),
        Category.STALLED_WORK: (
            "{count} assignation(s) de votre équipe sont à l'arrêt",
            "Toujours pas terminé après les relances : {items}",
        ),
        Category.NUDGE: (
            "Un contenu court pour aujourd'hui : « {title} »",
            "Environ {minutes} minutes, tiré de vos apprentissages.",
        ),
    },
}

_DECISIONS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "approved": "approved",
        "changes_requested": "changes requested",
        "rejected": "rejected",
    },
    "fr": {
        "approved": "approuvée",
        "changes_requested": "modifications demandées",
        "rejected": "refusée",
    },
}


class _Lenient(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def locale_or_default(locale: str) -> str:
    return locale if locale in SUPPORTED_LOCALES else "en"


def render_text(category: Category, params: Mapping[str, str], locale: str) -> Text:
    """Title and body of ``category`` in ``locale`` (English when unsupported)."""
    locale = locale_or_default(locale)
    values = _Lenient(params)
    if "decision" in params:
        values["decision"] = _DECISIONS[locale].get(params["decision"], params["decision"])
    title, body = _TEXTS[locale][category]
    return Text(title.format_map(values).strip(), body.format_map(values).strip())
