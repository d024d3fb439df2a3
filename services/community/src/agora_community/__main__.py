"""``python -m agora_community``: serve the community service."""

from agora_community.bootstrap import build
from agora_community.settings import CommunitySettings
from agora_core.runtime import serve

if __name__ == "__main__":
    serve(CommunitySettings, build)
