"""``python -m agora_community`` runs the service; with ``migrate``, its schema migrations."""

from agora_community.bootstrap import build
from agora_community.migrations import MIGRATIONS
from agora_community.settings import CommunitySettings
from agora_core.serve import serve


def main() -> None:
    serve(CommunitySettings, build, migrations=MIGRATIONS)


if __name__ == "__main__":
    main()
