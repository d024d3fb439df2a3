"""``python -m agora_gamification`` runs the service; with ``migrate``, its schema migrations."""

from agora_core.serve import serve
from agora_gamification.bootstrap import build
from agora_gamification.migrations import MIGRATIONS
from agora_gamification.settings import GamificationSettings


def main() -> None:
    serve(GamificationSettings, build, migrations=MIGRATIONS)


if __name__ == "__main__":
    main()
