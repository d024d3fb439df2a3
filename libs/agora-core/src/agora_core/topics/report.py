"""The plan as a table an operator reads before (and after) applying it."""

from __future__ import annotations

from agora_core.topics.drift import TopicPlan

HEADERS = ("topic", "difference", "now", "configured", "apply")


def plan_table(plan: TopicPlan) -> str:
    """One row per difference, then one summary line (in sync / to change / kept)."""
    rows = [
        (
            change.spec.name,
            change.kind.value,
            change.current,
            change.desired,
            "changes it" if change.kind.applied else "never changes it",
        )
        for change in plan.changes
    ]
    lines = []
    if rows:
        widths = [max(len(row[i]) for row in [HEADERS, *rows]) for i in range(len(HEADERS))]
        for row in [HEADERS, tuple("-" * w for w in widths), *rows]:
            lines.append(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
    kept = len(plan.changes) - len(plan.to_apply)
    lines.append(
        f"{len(plan.desired)} topics: {len(plan.in_sync)} in sync, "
        f"{len(plan.to_apply)} changes to apply, {kept} differences apply never changes"
    )
    return "\n".join(lines)
