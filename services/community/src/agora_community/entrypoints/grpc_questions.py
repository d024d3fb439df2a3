"""The servicer's questions, experts and moderation RPCs."""

from __future__ import annotations

from typing_extensions import override

from agora.community.v1 import community_pb2 as pb
from agora_community.entrypoints import messages as m
from agora_community.entrypoints import validation as v
from agora_community.entrypoints.servicer_base import ServicerBase
from agora_community.service_layer import experts, moderation, questions
from agora_core.grpc.auth import current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.validation import parse_request
from agora_core.pagination import page_size


class QuestionRpcs(ServicerBase):
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
        question = await questions.ask(
            self._uows,
            current_principal(),
            self._limits,
            title=data.title,
            body=data.body,
            skill_ids=list(dict.fromkeys(data.skill_ids)),
            space_id=data.space_id or None,
            item_id=data.item_id or None,
            proposed_count=self._settings.proposed_experts,
        )
        return pb.AskQuestionResponse(question=m.question_message(question))

    @override
    async def GetQuestion(
        self, request: pb.GetQuestionRequest, context: Context
    ) -> pb.GetQuestionResponse:
        data = parse_request(v.QuestionRef, question_id=request.question_id)
        question, answers = await questions.get_question(
            self._uows, current_principal(), data.question_id
        )
        return pb.GetQuestionResponse(
            question=m.question_message(question),
            answers=[m.answer_message(a, question.accepted_answer_id) for a in answers],
        )

    @override
    async def ListUnansweredQuestions(
        self, request: pb.ListUnansweredQuestionsRequest, context: Context
    ) -> pb.ListUnansweredQuestionsResponse:
        data = parse_request(
            v.UnansweredQuery, skill_id=request.skill_id, space_id=request.space_id
        )
        page = await questions.unanswered(
            self._uows,
            current_principal(),
            skill_id=data.skill_id or None,
            space_id=data.space_id or None,
            size=page_size(request.page_size),
            token=request.page_token,
        )
        return pb.ListUnansweredQuestionsResponse(
            questions=[m.question_message(q) for q in page.items],
            next_page_token=page.next_page_token,
        )

    @override
    async def ListMyQuestions(
        self, request: pb.ListMyQuestionsRequest, context: Context
    ) -> pb.ListMyQuestionsResponse:
        page = await questions.of_caller(
            self._uows,
            current_principal(),
            size=page_size(request.page_size),
            token=request.page_token,
        )
        return pb.ListMyQuestionsResponse(
            questions=[m.question_message(q) for q in page.items],
            next_page_token=page.next_page_token,
        )

    @override
    async def PostAnswer(
        self, request: pb.PostAnswerRequest, context: Context
    ) -> pb.PostAnswerResponse:
        data = parse_request(v.NewAnswer, question_id=request.question_id, body=request.body)
        answer = await questions.answer(
            self._uows, current_principal(), self._limits, data.question_id, data.body
        )
        return pb.PostAnswerResponse(answer=m.answer_message(answer))

    @override
    async def UpvoteAnswer(
        self, request: pb.UpvoteAnswerRequest, context: Context
    ) -> pb.UpvoteAnswerResponse:
        data = parse_request(v.AnswerRef, answer_id=request.answer_id)
        answer, changed = await questions.upvote(
            self._uows, current_principal(), self._limits, data.answer_id
        )
        return pb.UpvoteAnswerResponse(answer=m.answer_message(answer), changed=changed)

    @override
    async def AcceptAnswer(
        self, request: pb.AcceptAnswerRequest, context: Context
    ) -> pb.AcceptAnswerResponse:
        data = parse_request(v.AnswerRef, answer_id=request.answer_id)
        question = await questions.accept(self._uows, current_principal(), data.answer_id)
        return pb.AcceptAnswerResponse(question=m.question_message(question))

    @override
    async def FindExperts(
        self, request: pb.FindExpertsRequest, context: Context
    ) -> pb.FindExpertsResponse:
        data = parse_request(v.SkillRef, skill_id=request.skill_id)
        page = await experts.find_experts(
            self._uows,
            current_principal(),
            data.skill_id,
            page_size(request.page_size),
            request.page_token,
        )
        return pb.FindExpertsResponse(
            experts=[m.expert_message(e) for e in page.items],
            next_page_token=page.next_page_token,
        )

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
        report = await moderation.report(
            self._uows,
            current_principal(),
            self._limits,
            data.content.type,
            data.content.id,
            data.reason,
            data.details,
        )
        return pb.ReportContentResponse(report=m.report_message(report))

    @override
    async def ListModerationQueue(
        self, request: pb.ListModerationQueueRequest, context: Context
    ) -> pb.ListModerationQueueResponse:
        data = parse_request(v.QueueQuery, space_id=request.space_id)
        page = await moderation.queue(
            self._uows,
            current_principal(),
            data.space_id or None,
            page_size(request.page_size),
            request.page_token,
        )
        return pb.ListModerationQueueResponse(
            reports=[m.report_message(r) for r in page.items],
            next_page_token=page.next_page_token,
        )

    @override
    async def HideContent(
        self, request: pb.HideContentRequest, context: Context
    ) -> pb.HideContentResponse:
        data = parse_request(
            v.Moderation, content=v.target_fields(request.content), reason=request.reason
        )
        await moderation.set_hidden(
            self._uows,
            current_principal(),
            data.content.type,
            data.content.id,
            hidden=True,
            reason=data.reason,
        )
        return pb.HideContentResponse()

    @override
    async def RestoreContent(
        self, request: pb.RestoreContentRequest, context: Context
    ) -> pb.RestoreContentResponse:
        data = parse_request(v.Moderation, content=v.target_fields(request.content), reason="")
        await moderation.set_hidden(
            self._uows, current_principal(), data.content.type, data.content.id, hidden=False
        )
        return pb.RestoreContentResponse()
