"""``python -m agora_platform``."""

from agora_platform.cli import main

main()
