"""``python -m agora_cli`` is the ``agora`` command."""

from agora_cli.app import main

main()
