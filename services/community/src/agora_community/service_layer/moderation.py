"""Reports, the moderation queue, hiding and restoring content."""

from __future__ import annotations

from agora_community.domain.model import MODERATED_KINDS, Report, TargetKind, derived_id, now_ms
from agora_community.service_layer.access import can_moderate, can_read_space, resolve_target
from agora_community.service_layer.outgoing import outgoing
from agora_community.service_layer.paging import after_time, time_cursor
from agora_community.service_layer.ports import UnitOfWorkFactory
from agora_community.service_layer.rate_limits import POST, RateLimits, spend
from agora_contracts.events.domains.community import (
    ContentHiddenV1,
    ContentReportedV1,
    ContentRestoredV1,
)
from agora_core.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from agora_core.identity import Principal
from agora_core.pagination import Page, keyset_page


def _require_moderated(kind: TargetKind) -> None:
    if kind not in MODERATED_KINDS:
        raise InvalidArgument.single("content.type", "only comments, questions and answers")


async def report(
    uows: UnitOfWorkFactory,
    principal: Principal,
    limits: RateLimits,
    kind: TargetKind,
    content_id: str,
    reason: str,
    details: str,
) -> Report:
    """One report per person and content, with content.reported."""
    _require_moderated(kind)
    async with uows(principal.tenant_id) as uow:
        await spend(uow, limits, POST, principal.subject)
        target = await resolve_target(uow, kind, content_id)
        if target.hidden or not await can_read_space(uow, target.space_id, principal):
            raise NotFound(kind.value, content_id)
        now = now_ms()
        filed = Report(
            report_id=derived_id(uow.tenant_id, kind.value, content_id, principal.subject),
            kind=kind,
            content_id=content_id,
            reporter_id=principal.subject,
            reason=reason,
            details=details,
            space_id=target.space_id,
            status="open",
            create_time=now,
        )
        if not await uow.reports.add(filed):
            raise AlreadyExists(f"you already reported {kind.value} {content_id!r}")
        reported = ContentReportedV1(
            report_id=filed.report_id,
            content_type=kind.value,
            content_id=content_id,
            reporter_id=principal.subject,
            reason=reason,
            space_id=target.space_id,
            reported_at=now,
        )
        uow.add_events(
            [outgoing(uow.tenant_id, reported, subject=content_id, actor_id=principal.subject)]
        )
    return filed


async def queue(
    uows: UnitOfWorkFactory, principal: Principal, space_id: str | None, size: int, token: str
) -> Page[Report]:
    """Open reports of a space (its moderators) or of the tenant (admins), oldest first."""
    after = after_time(token)
    async with uows(principal.tenant_id) as uow:
        if space_id:
            if not await can_moderate(uow, space_id, principal):
                raise PermissionDenied(f"only moderators of space {space_id!r} see its queue")
        elif not principal.is_admin:
            raise PermissionDenied("only admins see the tenant-wide moderation queue")
        found = await uow.reports.open_queue(space_id, after, size + 1)
    return keyset_page(found, size, lambda r: time_cursor(r.create_time, r.report_id))


async def set_hidden(
    uows: UnitOfWorkFactory,
    principal: Principal,
    kind: TargetKind,
    content_id: str,
    *,
    hidden: bool,
    reason: str = "",
) -> bool:
    """Hide or restore content (its space's moderators, or admins); True if it changed.

    The flag, content.hidden/restored and (when hiding) the resolution of the open
    reports about it commit together.
    """
    _require_moderated(kind)
    async with uows(principal.tenant_id) as uow:
        content = await uow.content.get(kind, content_id)
        if content is None:
            raise NotFound(kind.value, content_id)
        if not await can_moderate(uow, content.space_id, principal):
            raise PermissionDenied("only moderators of the content's space (or admins) may do this")
        if content.deleted:
            # A tombstone has nothing left to hide; restoring it would resurrect nothing.
            raise FailedPrecondition(f"{kind.value} {content_id!r} is deleted", "deleted")
        now = now_ms()
        changed = await uow.content.set_hidden(kind, content_id, hidden, principal.subject, now)
        payload: ContentHiddenV1 | ContentRestoredV1
        if hidden:
            payload = ContentHiddenV1(
                content_type=kind.value,
                content_id=content_id,
                author_id=content.author_id,
                moderator_id=principal.subject,
                reason=reason,
                hidden_at=now,
            )
            await uow.reports.resolve_open(kind, content_id, principal.subject, now)
        else:
            payload = ContentRestoredV1(
                content_type=kind.value,
                content_id=content_id,
                moderator_id=principal.subject,
                restored_at=now,
            )
        if changed:
            uow.add_events(
                [outgoing(uow.tenant_id, payload, subject=content_id, actor_id=principal.subject)]
            )
    return changed
