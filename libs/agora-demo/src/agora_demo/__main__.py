"""``python -m agora_demo``."""

from agora_demo.cli import main

main()
