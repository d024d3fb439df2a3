"""Writes the configuration reference of docs/operator-guide.md from the settings classes.

    python tools/settings_reference.py --write   # regenerate the section
    python tools/settings_reference.py --check   # exit 1 when the guide is stale

Every variable, its type, default, bounds and meaning come from the pydantic-settings
classes (``agora_core.settings.ServiceSettings`` and each service's subclass); the
meaning is the field's ``description``, or the sentence below for fields that have
none, so a new setting without either fails the freshness test.
"""

from __future__ import annotations

import argparse
import sys
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from agora_catalog.settings import CatalogSettings
from agora_community.settings import CommunitySettings
from agora_core.settings import ServiceSettings
from agora_gamification.settings import GamificationSettings
from agora_notifications.settings import NotificationsSettings

GUIDE: Final = Path(__file__).resolve().parents[1] / "docs" / "operator-guide.md"
BEGIN: Final = "<!-- BEGIN settings reference (tools/settings_reference.py --write) -->"
END: Final = "<!-- END settings reference -->"
SERVICES: Final[Mapping[str, type[ServiceSettings]]] = {
    "catalog": CatalogSettings,
    "community": CommunitySettings,
    "gamification": GamificationSettings,
    "notifications": NotificationsSettings,
}
REQUIRED_OUTSIDE_DEV: Final = frozenset({"unsubscribe_secret"})
"""Secrets a service refuses to start without unless dev mode is on."""

# Meanings of the fields whose class gives no description.
MEANINGS: Final[Mapping[str, str]] = {
    "service_name": "Name in logs, metrics and the `source` of events; keep the default.",
    "log_level": "Level of the JSON log lines.",
    "kafka_bootstrap_servers": "Kafka bootstrap servers, `host:port[,host:port…]`.",
    "consumer_max_attempts": "Handler attempts of one event before it goes to `<topic>.dlq`.",
    "consumer_retry_backoff_ms": "First retry delay of a failed handler (doubles, with jitter).",
    "consumer_retry_backoff_max_ms": "Longest retry delay of a failed handler.",
    "outbox_batch_size": "Outbox documents the relay publishes per pass.",
    "grpc_host": "Interface of the gRPC server (`0.0.0.0` in containers).",
    "grpc_port": "Port of the gRPC server.",
    "grpc_max_message_bytes": "Largest gRPC message received or sent.",
    "http_host": "Interface of the HTTP side port (`0.0.0.0` in containers).",
    "http_port": "Port of `/metrics`, `/healthz` and `/readyz`.",
    "shutdown_grace_seconds": (
        "On SIGTERM, how long in-flight gRPC calls, then event handlers, may finish."
    ),
    "jwt_jwks_url": "JWKS URL of the identity provider (RS256/ES256 token keys).",
    "jwt_public_key_pem": "PEM public key verifying tokens (RSA or P-256), instead of a JWKS.",
    "jwt_issuer": "Expected `iss` claim; unchecked when unset.",
    "jwt_audience": "Expected `aud` claim; unchecked when unset.",
    "jwt_hs256_secret": "Shared HS256 key, accepted only with dev mode; secret.",
    "rate_limit_window_seconds": "Length of the per-person rate-limit window.",
    "trending_half_life_hours": "Half-life of activity in the trending score.",
    "proposed_experts": "Experts proposed for a new question.",
    "max_mentions": "Most @mentions honoured in one comment.",
    "issuer_name": "Issuer name in Open Badges credentials.",
    "badge_signing_key_id": "Id of the badge signing key (last segment of VC-JWT `kid` URLs).",
    "public_host": "Interface of the public HTTP endpoint (unsubscribe links).",
    "public_port": "Port of the public HTTP endpoint.",
    "public_base_url": "Public URL of the endpoint, as written in emails.",
    "unsubscribe_secret": (
        "Key signing unsubscribe links (32+ characters); secret. Required unless dev mode "
        "(which then uses a fixed development key); keep it stable: links in sent emails "
        "depend on it."
    ),
    "smtp_host": "SMTP relay host.",
    "smtp_port": "SMTP relay port.",
    "smtp_username": "SMTP user name; no authentication when unset.",
    "smtp_password": "SMTP password; secret.",
    "smtp_starttls": "Upgrade the SMTP connection with STARTTLS.",
    "smtp_use_tls": "Connect to the SMTP relay over TLS (port 465).",
    "smtp_timeout_seconds": "Timeout of one SMTP exchange.",
    "email_from": "Sender of emails.",
    "delivery_poll_interval_ms": "Idle poll of the delivery worker.",
    "delivery_batch_size": "Deliveries claimed per pass.",
    "delivery_concurrency": "Emails and webhooks sent at once by one instance.",
    "delivery_lease_seconds": "How long a claimed delivery is owned (> twice the send timeouts).",
    "delivery_max_attempts": "Attempts of one delivery before it is marked failed.",
    "delivery_backoff_seconds": "First delay before a failed delivery is retried (doubles).",
    "delivery_backoff_max_seconds": "Longest delay between delivery attempts.",
    "webhook_timeout_seconds": "Timeout of one webhook call.",
    "webhook_max_subscriptions": "Most webhook subscriptions per tenant.",
    "scheduler_interval_seconds": "How often reminders, digests and nudges are looked for.",
    "reminder_inactivity_hours": "Inactivity on a started item or path before a reminder.",
    "reminder_backoff_factor": "Growth of the wait between successive reminders.",
    "reminder_max_count": "Most reminders for one started item or path.",
    "assignment_due_soon_hours": "How long before an assignment's due date its alert goes out.",
    "digest_hour": "Hour (UTC) at which daily digests are sent.",
    "nudge_max_minutes": "Longest random delay of a nudge (spreads the load).",
    "rate_limit_posts": "Comments, questions, answers per window.",
}


def isolated(cls: type[ServiceSettings]) -> ServiceSettings:
    """The class's effective defaults, ignoring the environment of this process."""

    class Defaults(cls):  # type: ignore[valid-type,misc]
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings,)

    # A verification key (and the secrets a service requires outside dev mode) must be
    # given to validate at all; they are not shown as defaults.
    required: dict[str, Any] = {"jwt_jwks_url": "https://idp.invalid/jwks"}
    required.update({n: "-" * 32 for n in REQUIRED_OUTSIDE_DEV if n in cls.model_fields})
    instance: ServiceSettings = Defaults(**required)
    return instance


def meaning(cls: type[ServiceSettings], name: str) -> str:
    """The field's description, from the class or the first base that has one."""
    for klass in cls.__mro__:
        fields: dict[str, FieldInfo] = getattr(klass, "model_fields", {})
        if name in fields and fields[name].description:
            return str(fields[name].description)
    if name in MEANINGS:
        return MEANINGS[name]
    raise LookupError(f"{cls.__name__}.{name} has no description: add one (or to MEANINGS)")


def type_name(annotation: Any) -> str:
    """A reader's name for a field type."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        parts = [type_name(a) for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(parts) + " (optional)"
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in typing.get_args(annotation))
    if annotation is SecretStr:
        return "secret string"
    if origin is dict:
        return "JSON object"
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(
        annotation, str(annotation)
    )


def bounds(info: FieldInfo) -> str:
    """The field's constraints, e.g. ``1 ≤ x ≤ 50``."""
    parts = []
    for item in info.metadata:
        if isinstance(item, Ge):
            parts.append(f"≥ {item.ge}")
        elif isinstance(item, Gt):
            parts.append(f"> {item.gt}")
        elif isinstance(item, Le):
            parts.append(f"≤ {item.le}")
        elif isinstance(item, Lt):
            parts.append(f"< {item.lt}")
        elif isinstance(item, MinLen):
            parts.append(f"length ≥ {item.min_length}")
        elif isinstance(item, MaxLen):
            parts.append(f"length ≤ {item.max_length}")
        elif getattr(item, "pattern", None):
            parts.append(f"matches `{item.pattern}`")
    return ", ".join(parts)


def shown_default(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "built-in development value" if value.get_secret_value() else "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`" if value != "" else "empty"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    """The Markdown of the reference (between the guide's markers)."""
    defaults = {name: isolated(cls) for name, cls in SERVICES.items()}
    lines = [
        "Generated from the settings classes by `python tools/settings_reference.py "
        "--write`; a test fails when it is stale.",
        "",
        "### Every service",
        "",
        "Each variable exists once per service with its prefix: `AGORA_CATALOG_`, "
        "`AGORA_COMMUNITY_`, `AGORA_GAMIFICATION_`, `AGORA_NOTIFICATIONS_` (for example "
        "`AGORA_CATALOG_KAFKA_BOOTSTRAP_SERVERS`). A bad value stops start-up with exit "
        "code 2 and a message naming the variable.",
        "",
        "| variable | type | default | bounds | meaning |",
        "|---|---|---|---|---|",
    ]
    for name, info in ServiceSettings.model_fields.items():
        values = {svc: shown_default(getattr(defaults[svc], name)) for svc in SERVICES}
        if len(set(values.values())) == 1:
            default = next(iter(values.values()))
        else:
            default = "; ".join(f"{svc}: {value}" for svc, value in values.items())
        cells = [
            f"`AGORA_<SERVICE>_{name.upper()}`",
            type_name(info.annotation),
            default,
            bounds(info),
            meaning(ServiceSettings, name),
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    for service, cls in SERVICES.items():
        own = [n for n in cls.model_fields if n not in ServiceSettings.model_fields]
        prefix = str(cls.model_config.get("env_prefix", ""))
        lines += ["", f"### {service}", ""]
        if not own:
            lines.append("No settings beyond those of every service.")
            continue
        lines += [
            "| variable | type | default | bounds | meaning |",
            "|---|---|---|---|---|",
        ]
        for name in own:
            info = cls.model_fields[name]
            cells = [
                f"`{prefix}{name.upper()}`",
                type_name(info.annotation),
                "required unless dev mode"
                if name in REQUIRED_OUTSIDE_DEV
                else shown_default(getattr(defaults[service], name)),
                bounds(info),
                meaning(cls, name),
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def with_reference(guide: str, reference: str) -> str:
    """The guide's text with the section between the markers replaced."""
    head, found, rest = guide.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise ValueError(f"{GUIDE} lacks the markers {BEGIN!r} … {END!r}")
    return f"{head}{BEGIN}\n{reference}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the section in the guide")
    mode.add_argument("--check", action="store_true", help="fail when the guide is stale")
    args = parser.parse_args(argv)
    current = GUIDE.read_text()
    wanted = with_reference(current, render())
    if args.write:
        GUIDE.write_text(wanted)
        return 0
    if current != wanted:
        print(f"{GUIDE} is stale: run python tools/settings_reference.py --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
