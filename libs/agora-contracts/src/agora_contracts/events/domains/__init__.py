"""Event payload models of the platform, one module per domain (catalog, community, …).

Each module registers its types on ``agora_contracts.events.REGISTRY`` at import;
:func:`agora_contracts.events.schemas.load_platform_events` imports them all.
"""
