"""The gRPC servicer: validate, call the use case, translate documents to messages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from google.protobuf.timestamp_pb2 import Timestamp
from typing_extensions import override

from agora.community.v1 import community_pb2 as pb
from agora.community.v1 import community_pb2_grpc
from agora_community.adapters.repository import CommunityStore, StoreFactory
from agora_community.domain.model import SpaceRole, TargetKind, now_ms
from agora_community.entrypoints import validation as v
from agora_community.service_layer import (
    comments,
    experts,
    likes,
    moderation,
    popularity,
    questions,
    spaces,
)
from agora_community.service_layer.common import Caller, RateLimiter, membership
from agora_community.settings import CommunitySettings
from agora_core.grpc.auth import Role, current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.policy import ANY_AUTHENTICATED, MethodPolicy
from agora_core.grpc.validation import (
    PageCursor,
    decode_page_token,
    encode_page_token,
    page_size,
    parse_request,
)

COMMUNITY_SERVICE: Final = pb.DESCRIPTOR.services_by_name["CommunityService"]
COMMUNITY_SERVICE_NAME: Final[str] = COMMUNITY_SERVICE.full_name
CREATORS: Final = frozenset({Role.CONTRIBUTOR, Role.EXPERT, Role.MANAGER, Role.ADMIN})

# Relationship checks (space owner, moderator, author, asker) happen in the use cases;
# the policy states who may call at all.
COMMUNITY_POLICY: Final = MethodPolicy.for_service(
    COMMUNITY_SERVICE,
    {
        method.name: (CREATORS if method.name == "CreateSpace" else ANY_AUTHENTICATED)
        for method in COMMUNITY_SERVICE.methods
    },
)


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _target(kind: str, target_id: str) -> pb.Target:
    return pb.Target(type=v.TARGET_TYPES[TargetKind(kind)], id=target_id)


_ROLE_NUMBERS: Final = {role: number for number, role in v.ROLES.items()}
_VISIBILITY_NUMBERS: Final = {vis.value: number for number, vis in v.VISIBILITIES.items()}
_REASON_NUMBERS: Final = {reason: number for number, reason in v.REASONS.items()}


def space_message(space: Mapping[str, Any], my_role: str | None = None) -> pb.Space:
    return pb.Space(
        space_id=space["_id"],
        name=space["name"],
        description=space["description"],
        visibility=_VISIBILITY_NUMBERS[space["visibility"]],
        topic=space.get("topic", ""),
        created_by=space["created_by"],
        create_time=_ts(space["create_time"]),
        member_count=space.get("member_count", 0),
        my_role=_ROLE_NUMBERS[SpaceRole(my_role)] if my_role else pb.SPACE_ROLE_UNSPECIFIED,
    )


def member_message(member: Mapping[str, Any]) -> pb.Member:
    return pb.Member(
        user_id=member["user_id"],
        role=_ROLE_NUMBERS[SpaceRole(member["role"])],
        join_time=_ts(member.get("joined_at")),
    )


def comment_message(comment: Mapping[str, Any], *, with_revisions: bool = False) -> pb.Comment:
    revisions = comment.get("revisions", []) if with_revisions else []
    return pb.Comment(
        comment_id=comment["_id"],
        target=_target(comment["target_type"], comment["target_id"]),
        parent_comment_id=comment.get("parent_comment_id") or "",
        author_id=comment["author_id"],
        body=comment["body"],
        mentioned_user_ids=comment.get("mentioned_user_ids", []),
        create_time=_ts(comment["create_time"]),
        update_time=_ts(comment.get("update_time")),
        deleted=bool(comment.get("deleted")),
        hidden=bool(comment.get("hidden")),
        edit_count=len(comment.get("revisions", [])) - (1 if comment.get("deleted") else 0),
        revisions=[
            pb.CommentRevision(body=r["body"], replaced_time=_ts(r["replaced_time"]))
            for r in revisions
        ],
        space_id=comment.get("space_id") or "",
    )


def question_message(question: Mapping[str, Any]) -> pb.Question:
    return pb.Question(
        question_id=question["_id"],
        asker_id=question["asker_id"],
        title=question["title"],
        body=question["body"],
        skill_ids=question["skill_ids"],
        space_id=question.get("space_id") or "",
        item_id=question.get("item_id") or "",
        proposed_expert_ids=question.get("proposed_expert_ids", []),
        answer_count=question.get("answer_count", 0),
        accepted_answer_id=question.get("accepted_answer_id") or "",
        hidden=bool(question.get("hidden")),
        create_time=_ts(question["create_time"]),
    )


def answer_message(answer: Mapping[str, Any], accepted_id: str | None = None) -> pb.Answer:
    return pb.Answer(
        answer_id=answer["_id"],
        question_id=answer["question_id"],
        author_id=answer["author_id"],
        body=answer["body"],
        upvotes=answer.get("upvotes", 0),
        accepted=accepted_id == answer["_id"],
        hidden=bool(answer.get("hidden")),
        create_time=_ts(answer["create_time"]),
    )


def popularity_message(item: Mapping[str, Any], liked: bool) -> pb.Popularity:
    return pb.Popularity(
        target=_target(item["target_type"], item["target_id"]),
        likes=item["likes"],
        comments=item["comments"],
        participants=item["participants"],
        trending_score=item["trending_score"],
        as_of=_ts(item["as_of"]),
        liked_by_me=liked,
    )


def report_message(report: Mapping[str, Any]) -> pb.Report:
    return pb.Report(
        report_id=report["_id"],
        content=_target(report["content_type"], report["content_id"]),
        reporter_id=report["reporter_id"],
        reason=_REASON_NUMBERS[report["reason"]],
        details=report.get("details", ""),
        space_id=report.get("space_id") or "",
        status=report["status"],
        create_time=_ts(report["create_time"]),
    )


def _page(
    documents: list[dict[str, Any]], size: int, cursor: Callable[[dict[str, Any]], PageCursor]
) -> tuple[list[dict[str, Any]], str]:
    """Trim the one extra document read and make the next token from the last kept."""
    if len(documents) <= size:
        return documents, ""
    kept = documents[:size]
    return kept, encode_page_token(cursor(kept[-1]))


def _time_after(token: str) -> tuple[datetime, str] | None:
    cursor = decode_page_token(token, v.TimeCursor)
    return (cursor.after_time, cursor.after_id) if cursor else None


class CommunityServicer(community_pb2_grpc.CommunityServiceServicer):
    """Every method: caller from the token, tenant-scoped store, validated input."""

    def __init__(self, stores: StoreFactory, settings: CommunitySettings) -> None:
        self._stores = stores
        self._settings = settings
        self._limits = RateLimiter(
            {"post": settings.rate_limit_posts, "like": settings.rate_limit_likes},
            settings.rate_limit_window_seconds,
        )

    def _ctx(self) -> tuple[CommunityStore, Caller]:
        principal = current_principal()
        caller = Caller(principal.subject, is_admin=Role.ADMIN in principal.roles)
        return self._stores(principal.tenant_id), caller

    # Spaces

    @override
    async def CreateSpace(
        self, request: pb.CreateSpaceRequest, context: Context
    ) -> pb.CreateSpaceResponse:
        data = parse_request(
            v.NewSpace,
            name=request.name,
            description=request.description,
            visibility=v.VISIBILITIES.get(request.visibility),
            topic=request.topic,
        )
        store, caller = self._ctx()
        space = await spaces.create_space(
            store,
            caller,
            name=data.name,
            description=data.description,
            visibility=data.visibility,
            topic=data.topic,
        )
        return pb.CreateSpaceResponse(space=space_message(space, SpaceRole.OWNER.value))

    @override
    async def UpdateSpace(
        self, request: pb.UpdateSpaceRequest, context: Context
    ) -> pb.UpdateSpaceResponse:
        data = parse_request(
            v.SpaceChanges,
            space_id=request.space_id,
            name=request.name,
            description=request.description,
            visibility=v.VISIBILITIES.get(request.visibility),
        )
        store, caller = self._ctx()
        space = await spaces.update_space(
            store,
            caller,
            data.space_id,
            name=data.name or None,
            description=data.description or None,
            visibility=data.visibility,
        )
        return pb.UpdateSpaceResponse(space=await self._space_for(store, caller, space))

    async def _space_for(
        self, store: CommunityStore, caller: Caller, space: Mapping[str, Any]
    ) -> pb.Space:
        member = await membership(store, space["_id"], caller.user_id)
        return space_message(space, member["role"] if member else None)

    @override
    async def GetSpace(self, request: pb.GetSpaceRequest, context: Context) -> pb.GetSpaceResponse:
        data = parse_request(v.SpaceRef, space_id=request.space_id)
        store, caller = self._ctx()
        space = await spaces.get_space(store, caller, data.space_id)
        return pb.GetSpaceResponse(space=await self._space_for(store, caller, space))

    @override
    async def ListMySpaces(
        self, request: pb.ListMySpacesRequest, context: Context
    ) -> pb.ListMySpacesResponse:
        size = page_size(request.page_size)
        after = _time_after(request.page_token)
        store, caller = self._ctx()
        rows = await spaces.my_spaces(store, caller, after, size + 1)
        token = ""
        if len(rows) > size:
            rows = rows[:size]
            last = rows[-1][0]
            token = encode_page_token(
                v.TimeCursor(after_time=last["joined_at"], after_id=last["_id"])
            )
        return pb.ListMySpacesResponse(
            spaces=[space_message(space, member["role"]) for member, space in rows],
            next_page_token=token,
        )

    @override
    async def DiscoverSpaces(
        self, request: pb.DiscoverSpacesRequest, context: Context
    ) -> pb.DiscoverSpacesResponse:
        data = parse_request(v.Discover, name_prefix=request.name_prefix)
        size = page_size(request.page_size)
        cursor = decode_page_token(request.page_token, v.NameCursor)
        store, caller = self._ctx()
        found = await spaces.discover(
            store,
            caller,
            data.name_prefix,
            (cursor.after_name, cursor.after_id) if cursor else None,
            size + 1,
        )
        kept, token = _page(
            found, size, lambda s: v.NameCursor(after_name=s["name_folded"], after_id=s["_id"])
        )
        return pb.DiscoverSpacesResponse(
            spaces=[space_message(s) for s in kept], next_page_token=token
        )

    @override
    async def JoinSpace(
        self, request: pb.JoinSpaceRequest, context: Context
    ) -> pb.JoinSpaceResponse:
        data = parse_request(v.SpaceRef, space_id=request.space_id)
        store, caller = self._ctx()
        member = await spaces.join_space(store, caller, data.space_id)
        return pb.JoinSpaceResponse(member=member_message(member))

    @override
    async def LeaveSpace(
        self, request: pb.LeaveSpaceRequest, context: Context
    ) -> pb.LeaveSpaceResponse:
        data = parse_request(v.SpaceRef, space_id=request.space_id)
        store, caller = self._ctx()
        await spaces.leave_space(store, caller, data.space_id)
        return pb.LeaveSpaceResponse()

    @override
    async def InviteToSpace(
        self, request: pb.InviteToSpaceRequest, context: Context
    ) -> pb.InviteToSpaceResponse:
        data = parse_request(v.SpacePerson, space_id=request.space_id, user_id=request.user_id)
        store, caller = self._ctx()
        await spaces.invite(store, caller, data.space_id, data.user_id)
        return pb.InviteToSpaceResponse()

    @override
    async def SetMemberRole(
        self, request: pb.SetMemberRoleRequest, context: Context
    ) -> pb.SetMemberRoleResponse:
        data = parse_request(
            v.RoleChange,
            space_id=request.space_id,
            user_id=request.user_id,
            role=v.ROLES.get(request.role),
        )
        store, caller = self._ctx()
        member = await spaces.set_role(store, caller, data.space_id, data.user_id, data.role)
        return pb.SetMemberRoleResponse(member=member_message(member))

    @override
    async def ListMembers(
        self, request: pb.ListMembersRequest, context: Context
    ) -> pb.ListMembersResponse:
        data = parse_request(v.SpaceRef, space_id=request.space_id)
        size = page_size(request.page_size)
        after = _time_after(request.page_token)
        store, caller = self._ctx()
        found = await spaces.members(store, caller, data.space_id, after, size + 1)
        kept, token = _page(
            found, size, lambda m: v.TimeCursor(after_time=m["joined_at"], after_id=m["_id"])
        )
        return pb.ListMembersResponse(
            members=[member_message(m) for m in kept], next_page_token=token
        )

    # Comments

    @override
    async def PostComment(
        self, request: pb.PostCommentRequest, context: Context
    ) -> pb.PostCommentResponse:
        data = parse_request(
            v.NewComment,
            target=v.target_fields(request.target),
            parent_comment_id=request.parent_comment_id,
            body=request.body,
        )
        store, caller = self._ctx()
        await self._limits.spend(store, "post", caller.user_id)
        comment = await comments.post_comment(
            store,
            caller,
            kind=data.target.type,
            target_id=data.target.id,
            parent_comment_id=data.parent_comment_id or None,
            body=data.body,
            max_mentions=self._settings.max_mentions,
        )
        return pb.PostCommentResponse(comment=comment_message(comment))

    @override
    async def EditComment(
        self, request: pb.EditCommentRequest, context: Context
    ) -> pb.EditCommentResponse:
        data = parse_request(v.CommentText, comment_id=request.comment_id, body=request.body)
        store, caller = self._ctx()
        comment = await comments.edit_comment(store, caller, data.comment_id, data.body)
        return pb.EditCommentResponse(comment=comment_message(comment, with_revisions=True))

    @override
    async def DeleteComment(
        self, request: pb.DeleteCommentRequest, context: Context
    ) -> pb.DeleteCommentResponse:
        data = parse_request(v.CommentRef, comment_id=request.comment_id)
        store, caller = self._ctx()
        comment = await comments.delete_comment(store, caller, data.comment_id)
        return pb.DeleteCommentResponse(comment=comment_message(comment))

    @override
    async def GetComment(
        self, request: pb.GetCommentRequest, context: Context
    ) -> pb.GetCommentResponse:
        data = parse_request(v.CommentRef, comment_id=request.comment_id)
        store, caller = self._ctx()
        comment, with_revisions = await comments.get_comment(store, caller, data.comment_id)
        return pb.GetCommentResponse(
            comment=comment_message(comment, with_revisions=with_revisions)
        )

    @override
    async def ListComments(
        self, request: pb.ListCommentsRequest, context: Context
    ) -> pb.ListCommentsResponse:
        data = parse_request(v.TargetOnly, target=v.target_fields(request.target))
        size = page_size(request.page_size)
        after = _time_after(request.page_token)
        store, caller = self._ctx()
        found = await comments.list_comments(
            store, caller, data.target.type, data.target.id, after, size + 1
        )
        kept, token = _page(
            found, size, lambda c: v.TimeCursor(after_time=c["create_time"], after_id=c["_id"])
        )
        return pb.ListCommentsResponse(
            comments=[comment_message(c) for c in kept], next_page_token=token
        )

    # Likes and popularity

    @override
    async def Like(self, request: pb.LikeRequest, context: Context) -> pb.LikeResponse:
        data = parse_request(v.TargetOnly, target=v.target_fields(request.target))
        store, caller = self._ctx()
        await self._limits.spend(store, "like", caller.user_id)
        changed = await likes.like(store, caller, data.target.type, data.target.id)
        return pb.LikeResponse(changed=changed)

    @override
    async def Unlike(self, request: pb.UnlikeRequest, context: Context) -> pb.UnlikeResponse:
        data = parse_request(v.TargetOnly, target=v.target_fields(request.target))
        store, caller = self._ctx()
        await self._limits.spend(store, "like", caller.user_id)
        changed = await likes.unlike(store, caller, data.target.type, data.target.id)
        return pb.UnlikeResponse(changed=changed)

    @override
    async def GetPopularity(
        self, request: pb.GetPopularityRequest, context: Context
    ) -> pb.GetPopularityResponse:
        data = parse_request(
            v.PopularityQuery, targets=[v.target_fields(t) for t in request.targets]
        )
        store, caller = self._ctx()
        refs = [(t.type, t.id) for t in data.targets]
        found = await popularity.popularity_of(store, refs, self._settings.trending_half_life_hours)
        mine = await likes.liked_by(store, caller.user_id, refs)
        result = []
        for kind, target_id in refs:
            item = found.get((kind.value, target_id)) or _zero(kind, target_id)
            result.append(popularity_message(item, (kind.value, target_id) in mine))
        return pb.GetPopularityResponse(popularity=result)

    @override
    async def ListTrending(
        self, request: pb.ListTrendingRequest, context: Context
    ) -> pb.ListTrendingResponse:
        data = parse_request(
            v.TrendingQuery,
            target_type=v.TARGET_KINDS.get(request.target_type),
            limit=request.limit,
        )
        store, caller = self._ctx()
        ranked = await popularity.trending(
            store, data.target_type, data.limit or 20, self._settings.trending_half_life_hours
        )
        refs = [(TargetKind(i["target_type"]), i["target_id"]) for i in ranked]
        mine = await likes.liked_by(store, caller.user_id, refs)
        return pb.ListTrendingResponse(
            popularity=[
                popularity_message(i, (i["target_type"], i["target_id"]) in mine) for i in ranked
            ]
        )

    # Questions

    @override
    async def AskQuestion(
        self, request: pb.AskQuestionRequest, context: Context
    ) -> pb.AskQuestionResponse:
        data = parse_request(
            v.NewQuestion,
            title=request.title,
            body=request.body,
            skill_ids=list(request.skill_ids),
            space_id=request.space_id,
            item_id=request.item_id,
        )
        store, caller = self._ctx()
        await self._limits.spend(store, "post", caller.user_id)
        question = await questions.ask(
            store,
            caller,
            title=data.title,
            body=data.body,
            skill_ids=list(dict.fromkeys(data.skill_ids)),
            space_id=data.space_id or None,
            item_id=data.item_id or None,
            proposed_count=self._settings.proposed_experts,
        )
        return pb.AskQuestionResponse(question=question_message(question))

    @override
    async def GetQuestion(
        self, request: pb.GetQuestionRequest, context: Context
    ) -> pb.GetQuestionResponse:
        data = parse_request(v.QuestionRef, question_id=request.question_id)
        store, caller = self._ctx()
        question, answers = await questions.get_question(store, caller, data.question_id)
        accepted = question.get("accepted_answer_id")
        return pb.GetQuestionResponse(
            question=question_message(question),
            answers=[answer_message(a, accepted) for a in answers],
        )

    @override
    async def ListUnansweredQuestions(
        self, request: pb.ListUnansweredQuestionsRequest, context: Context
    ) -> pb.ListUnansweredQuestionsResponse:
        data = parse_request(
            v.UnansweredQuery, skill_id=request.skill_id, space_id=request.space_id
        )
        size = page_size(request.page_size)
        after = _time_after(request.page_token)
        store, caller = self._ctx()
        found = await questions.unanswered(
            store,
            caller,
            skill_id=data.skill_id or None,
            space_id=data.space_id or None,
            after=after,
            limit=size + 1,
        )
        kept, token = _page(
            found, size, lambda q: v.TimeCursor(after_time=q["create_time"], after_id=q["_id"])
        )
        return pb.ListUnansweredQuestionsResponse(
            questions=[question_message(q) for q in kept], next_page_token=token
        )

    @override
    async def PostAnswer(
        self, request: pb.PostAnswerRequest, context: Context
    ) -> pb.PostAnswerResponse:
        data = parse_request(v.NewAnswer, question_id=request.question_id, body=request.body)
        store, caller = self._ctx()
        await self._limits.spend(store, "post", caller.user_id)
        answer = await questions.answer(store, caller, data.question_id, data.body)
        return pb.PostAnswerResponse(answer=answer_message(answer))

    @override
    async def UpvoteAnswer(
        self, request: pb.UpvoteAnswerRequest, context: Context
    ) -> pb.UpvoteAnswerResponse:
        data = parse_request(v.AnswerRef, answer_id=request.answer_id)
        store, caller = self._ctx()
        await self._limits.spend(store, "like", caller.user_id)
        answer, changed = await questions.upvote(store, caller, data.answer_id)
        return pb.UpvoteAnswerResponse(answer=answer_message(answer), changed=changed)

    @override
    async def AcceptAnswer(
        self, request: pb.AcceptAnswerRequest, context: Context
    ) -> pb.AcceptAnswerResponse:
        data = parse_request(v.AnswerRef, answer_id=request.answer_id)
        store, caller = self._ctx()
        question = await questions.accept(store, caller, data.answer_id)
        return pb.AcceptAnswerResponse(question=question_message(question))

    # Experts

    @override
    async def FindExperts(
        self, request: pb.FindExpertsRequest, context: Context
    ) -> pb.FindExpertsResponse:
        data = parse_request(v.SkillRef, skill_id=request.skill_id)
        size = page_size(request.page_size)
        cursor = decode_page_token(request.page_token, v.ScoreCursor)
        store, _ = self._ctx()
        found = await experts.find_experts(
            store,
            data.skill_id,
            (cursor.after_score, cursor.after_id) if cursor else None,
            size + 1,
        )
        kept, token = _page(
            found, size, lambda e: v.ScoreCursor(after_score=e["score"], after_id=e["user_id"])
        )
        return pb.FindExpertsResponse(
            experts=[
                pb.Expert(
                    user_id=e["user_id"],
                    skill_id=e["skill_id"],
                    score=e["score"],
                    validated_contributions=e["validated_contributions"],
                    accepted_answers=e["accepted_answers"],
                    completions=e["completions"],
                    quiz_passes=e["quiz_passes"],
                )
                for e in kept
            ],
            next_page_token=token,
        )

    # Moderation

    @override
    async def ReportContent(
        self, request: pb.ReportContentRequest, context: Context
    ) -> pb.ReportContentResponse:
        data = parse_request(
            v.NewReport,
            content=v.target_fields(request.content),
            reason=v.REASONS.get(request.reason),
            details=request.details,
        )
        store, caller = self._ctx()
        await self._limits.spend(store, "post", caller.user_id)
        report = await moderation.report(
            store, caller, data.content.type, data.content.id, data.reason, data.details
        )
        return pb.ReportContentResponse(report=report_message(report))

    @override
    async def ListModerationQueue(
        self, request: pb.ListModerationQueueRequest, context: Context
    ) -> pb.ListModerationQueueResponse:
        data = parse_request(v.QueueQuery, space_id=request.space_id)
        size = page_size(request.page_size)
        after = _time_after(request.page_token)
        store, caller = self._ctx()
        found = await moderation.queue(store, caller, data.space_id or None, after, size + 1)
        kept, token = _page(
            found, size, lambda r: v.TimeCursor(after_time=r["create_time"], after_id=r["_id"])
        )
        return pb.ListModerationQueueResponse(
            reports=[report_message(r) for r in kept], next_page_token=token
        )

    @override
    async def HideContent(
        self, request: pb.HideContentRequest, context: Context
    ) -> pb.HideContentResponse:
        data = parse_request(
            v.Moderation, content=v.target_fields(request.content), reason=request.reason
        )
        store, caller = self._ctx()
        await moderation.set_hidden(
            store, caller, data.content.type, data.content.id, hidden=True, reason=data.reason
        )
        return pb.HideContentResponse()

    @override
    async def RestoreContent(
        self, request: pb.RestoreContentRequest, context: Context
    ) -> pb.RestoreContentResponse:
        data = parse_request(v.Moderation, content=v.target_fields(request.content), reason="")
        store, caller = self._ctx()
        await moderation.set_hidden(store, caller, data.content.type, data.content.id, hidden=False)
        return pb.RestoreContentResponse()


def _zero(kind: TargetKind, target_id: str) -> dict[str, Any]:
    return {
        "target_type": kind.value,
        "target_id": target_id,
        "likes": 0,
        "comments": 0,
        "participants": 0,
        "trending_score": 0.0,
        "as_of": now_ms(),
    }
