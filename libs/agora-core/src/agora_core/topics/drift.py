"""The difference between the topics that should exist and those that do.

Each difference is a :class:`Change`. Some are applied (a missing topic, too few
partitions, a config that differs); two are only reported, because apply never makes
them: fewer partitions than exist (Kafka cannot remove partitions) and another
replication factor (that takes a partition reassignment, an operator's decision).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from agora_core.topics.cluster import TopicState
from agora_core.topics.desired import TopicSpec


class ChangeKind(Enum):
    """What differs, and whether ``apply`` acts on it."""

    CREATE = "create"
    RAISE_PARTITIONS = "raise partitions"
    ALTER_CONFIGS = "alter configs"
    MORE_PARTITIONS = "more partitions (kept)"
    REPLICATION_DIFFERS = "replication differs (kept)"

    @property
    def applied(self) -> bool:
        """True when ``apply`` changes the cluster for this kind."""
        return self in (ChangeKind.CREATE, ChangeKind.RAISE_PARTITIONS, ChangeKind.ALTER_CONFIGS)


@dataclass(frozen=True)
class Change:
    """One difference on one topic: what exists (``current``) and what should."""

    kind: ChangeKind
    spec: TopicSpec
    current: str
    desired: str
    configs: Mapping[str, str] = field(default_factory=dict)
    """The configs to send: a new topic's, or with ALTER_CONFIGS the topic's own
    overrides with the desired values over them (AlterConfigs replaces the whole set,
    so an operator's other overrides are resent unchanged)."""


@dataclass(frozen=True)
class TopicPlan:
    """Every difference between the desired topics and the cluster."""

    desired: Sequence[TopicSpec]
    changes: Sequence[Change]

    @property
    def to_apply(self) -> list[Change]:
        return [change for change in self.changes if change.kind.applied]

    @property
    def in_sync(self) -> list[TopicSpec]:
        """Desired topics with no change at all."""
        changed = {change.spec.name for change in self.changes}
        return [spec for spec in self.desired if spec.name not in changed]


def plan_topics(desired: Sequence[TopicSpec], actual: Mapping[str, TopicState]) -> TopicPlan:
    """Compare each desired topic with its state (absent from ``actual``: missing)."""
    changes: list[Change] = []
    for spec in desired:
        state = actual.get(spec.name)
        if state is None:
            changes.append(
                Change(ChangeKind.CREATE, spec, "missing", _shape(spec), dict(spec.configs))
            )
            continue
        if state.partitions < spec.partitions:
            changes.append(
                Change(
                    ChangeKind.RAISE_PARTITIONS,
                    spec,
                    f"{state.partitions} partitions",
                    f"{spec.partitions} partitions",
                )
            )
        elif state.partitions > spec.partitions:
            changes.append(
                Change(
                    ChangeKind.MORE_PARTITIONS,
                    spec,
                    f"{state.partitions} partitions",
                    f"{spec.partitions} partitions (never lowered)",
                )
            )
        if state.replication_factor != spec.replication_factor:
            changes.append(
                Change(
                    ChangeKind.REPLICATION_DIFFERS,
                    spec,
                    f"replication {state.replication_factor}",
                    f"replication {spec.replication_factor} (reassign by hand)",
                )
            )
        differing = {
            key: value for key, value in spec.configs.items() if state.configs.get(key) != value
        }
        if differing:
            changes.append(
                Change(
                    ChangeKind.ALTER_CONFIGS,
                    spec,
                    _configs({key: state.configs.get(key, "unset") for key in differing}),
                    _configs(differing),
                    {**state.overrides, **spec.configs},
                )
            )
    return TopicPlan(list(desired), changes)


def _shape(spec: TopicSpec) -> str:
    return (
        f"{spec.partitions} partitions, replication {spec.replication_factor}, "
        f"{_configs(spec.configs)}"
    )


def _configs(configs: Mapping[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(configs.items()))
