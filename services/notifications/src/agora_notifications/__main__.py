"""``python -m agora_notifications``: serve with settings from AGORA_NOTIFICATIONS_*."""

from agora_core.runtime import serve
from agora_notifications.bootstrap import build
from agora_notifications.settings import NotificationsSettings

serve(NotificationsSettings, build)
