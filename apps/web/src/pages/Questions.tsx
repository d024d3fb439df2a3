// Questions waiting for an answer (experts): answer one in place; it then leaves the list.
import { community } from "@agora/clients";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { formatDate } from "../format";
import { useI18n } from "../i18n";
import { href } from "../router";
import { PagedList, usePaged } from "../states";
import { AnswerForm } from "./Question";

export function Questions() {
  const { t, language } = useI18n();
  const { clients } = useApp();
  const [notice, setNotice] = useState<string | null>(null);
  const paged = usePaged<community.Question>(async (pageToken) => {
    const answer = await clients.community.listUnansweredQuestions({ pageSize: 20, pageToken });
    return { items: answer.questions, next: answer.nextPageToken };
  }, []);
  return (
    <>
      <h1>{t("questions.title")}</h1>
      {notice !== null && <p role="status" class="state result-ok">{notice}</p>}
      <PagedList paged={paged} empty={t("questions.empty")}>
        {(items, page) => (
          <ul class="cards comments" data-testid="unanswered">
            {items.map((question) => (
              <li key={question.questionId} class="card">
                <h2 class="card-title">
                  <a href={href({ page: "question", questionId: question.questionId })}>{question.title}</a>
                </h2>
                <p class="meta">
                  <span>{t("question.askedBy", { person: question.askerId })}</span>
                  <span>{formatDate(question.createTime, language)}</span>
                  {question.skillIds.map((skill) => <span key={skill} class="tag">{skill}</span>)}
                </p>
                {question.body && <p class="wiki-text">{question.body}</p>}
                <AnswerForm questionId={question.questionId} onAnswered={() => {
                  setNotice(t("questions.answered", { title: question.title }));
                  paged.set({ ...page, items: page.items.filter((q) => q.questionId !== question.questionId) });
                }} />
              </li>
            ))}
          </ul>
        )}
      </PagedList>
    </>
  );
}
