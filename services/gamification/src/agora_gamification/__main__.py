"""``python -m agora_gamification``: serve with settings from the environment."""

from agora_core.runtime import serve
from agora_gamification.bootstrap import build
from agora_gamification.settings import GamificationSettings

if __name__ == "__main__":
    serve(GamificationSettings, build)
