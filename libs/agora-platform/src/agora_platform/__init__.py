"""Agora's local platform supervisor: ``make up`` / ``make down`` / ``make status``.

The bash scripts under ``deploy/local/`` stay the low-level layer (they fetch, start
and stop Kafka and PostgreSQL); this package runs them, starts every service as its
own process, waits until each answers SERVING and writes what it started to
``<state>/platform.json`` for clients such as ``make demo``.
"""
