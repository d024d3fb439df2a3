"""``python -m agora_core.topics plan|apply`` (see :mod:`agora_core.topics.command`)."""

from agora_core.topics.command import main

raise SystemExit(main())
