"""Kafka topics provisioned from the event registry, never auto-created by clients.

A client that creates a topic on first use gets the broker's defaults (one partition,
replication factor one), and a service then cannot scale past one consumer. Here the
topic set is derived from the registry (each topic, ``agora.xapi.statements.v1`` and
every ``<topic>.dlq``) and one command makes the cluster match it::

    python -m agora_core.topics plan    # what differs, changes nothing
    python -m agora_core.topics apply   # create, grow partitions, align configs

Modules: :mod:`.settings` (``AGORA_TOPICS_*``), :mod:`.desired` (what should exist),
:mod:`.cluster` (what exists), :mod:`.drift` (the difference), :mod:`.apply` (making
it so), :mod:`.report` (the table), :mod:`.presence` (the services' readiness check).
"""

from agora_core.topics.apply import ApplyFailed, apply_plan, provision
from agora_core.topics.cluster import TopicState, admin_client, read_topics
from agora_core.topics.command import run_command
from agora_core.topics.desired import TopicSpec, desired_topics, topic_specs
from agora_core.topics.drift import Change, ChangeKind, TopicPlan, plan_topics
from agora_core.topics.presence import TopicPresence
from agora_core.topics.settings import TopicsSettings

__all__ = [
    "ApplyFailed",
    "Change",
    "ChangeKind",
    "TopicPlan",
    "TopicPresence",
    "TopicSpec",
    "TopicState",
    "TopicsSettings",
    "admin_client",
    "apply_plan",
    "desired_topics",
    "plan_topics",
    "provision",
    "read_topics",
    "run_command",
    "topic_specs",
]
