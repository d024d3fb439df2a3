"""``python -m agora_notifications`` runs the service; with ``migrate``, its schema migrations."""

from agora_core.serve import serve
from agora_notifications.bootstrap import build
from agora_notifications.migrations import MIGRATIONS
from agora_notifications.settings import NotificationsSettings


def main() -> None:
    serve(NotificationsSettings, build, migrations=MIGRATIONS)


if __name__ == "__main__":
    main()
