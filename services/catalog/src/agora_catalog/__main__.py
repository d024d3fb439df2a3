"""``python -m agora_catalog`` runs the service; with ``migrate``, its schema migrations."""

from agora_catalog.bootstrap import build
from agora_catalog.migrations import MIGRATIONS
from agora_catalog.settings import CatalogSettings
from agora_core.serve import serve


def main() -> None:
    serve(CatalogSettings, build, migrations=MIGRATIONS)


if __name__ == "__main__":
    main()
