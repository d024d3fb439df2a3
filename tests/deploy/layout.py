"""Where the deployment files live and what the services are (one place for all tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic_settings import BaseSettings

from agora_catalog.settings import CatalogSettings
from agora_community.settings import CommunitySettings
from agora_core.settings import ServiceSettings
from agora_core.tracing.setup import OTEL_VARIABLES
from agora_gamification.settings import GamificationSettings
from agora_notifications.settings import NotificationsSettings

ROOT: Final = Path(__file__).resolve().parents[2]
CHART: Final = ROOT / "deploy" / "helm" / "agora"
OBSERVABILITY: Final = ROOT / "deploy" / "observability"
DASHBOARD: Final = OBSERVABILITY / "grafana" / "agora.json"
ALERTS: Final = OBSERVABILITY / "prometheus" / "alerts.yml"
COMPOSE_FILE: Final = ROOT / "docker-compose.yml"
POSTGRES_INIT: Final = ROOT / "deploy" / "compose" / "postgres-initdb"
CNPG_EXAMPLE: Final = ROOT / "deploy" / "helm" / "examples" / "cloudnativepg.yaml"
# The PostgreSQL settings every service class gains with the move to PostgreSQL
# (issue 14). The deployment files set them before every class has them: settings
# classes ignore unknown variables, and the union below turns into a no-op once the
# classes declare these fields themselves.
POSTGRES_SETTINGS: Final = (
    "postgres_dsn",
    "postgres_pool_min_size",
    "postgres_pool_max_size",
    "postgres_pool_timeout_seconds",
    "postgres_migrate_on_start",
)


@dataclass(frozen=True)
class ServiceSpec:
    """One service as the deployment files must know it."""

    name: str
    settings: type[ServiceSettings]

    @property
    def package(self) -> str:
        return f"agora-{self.name}"

    @property
    def module(self) -> str:
        return f"agora_{self.name}"

    @property
    def env_prefix(self) -> str:
        return str(self.settings.model_config.get("env_prefix", ""))

    def default(self, field: str) -> object:
        return self.settings.model_fields[field].default

    @property
    def grpc_port(self) -> int:
        return int(str(self.default("grpc_port")))

    @property
    def http_port(self) -> int:
        return int(str(self.default("http_port")))

    @property
    def connect_port(self) -> int:
        return CONNECT_PORTS[self.name]

    @property
    def extra_ports(self) -> tuple[int, ...]:
        """Ports beyond gRPC and the side port (notifications' public endpoint)."""
        if "public_port" in self.settings.model_fields:
            return (int(str(self.default("public_port"))),)
        return ()

    def env_names(self) -> set[str]:
        """Every environment variable the service reads."""
        fields = {*self.settings.model_fields, *POSTGRES_SETTINGS}
        return {f"{self.env_prefix}{name}".upper() for name in fields} | OTEL_VARIABLES

    @property
    def database(self) -> str:
        """Its PostgreSQL database, and the login role that owns it."""
        return f"agora_{self.name}"


CONNECT_PORTS: Final = {
    "catalog": 8081,
    "community": 8082,
    "gamification": 8083,
    "notifications": 8084,
}
"""Each service's Connect / gRPC-Web port in its image, Compose and the Helm chart
(the settings default, 8080, is for a service run alone)."""


SERVICES: Final = (
    ServiceSpec("catalog", CatalogSettings),
    ServiceSpec("community", CommunitySettings),
    ServiceSpec("gamification", GamificationSettings),
    ServiceSpec("notifications", NotificationsSettings),
)


def settings_classes() -> list[type[BaseSettings]]:
    """The settings classes in service order."""
    return [spec.settings for spec in SERVICES]
