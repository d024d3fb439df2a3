// One question with its answers: experts (and colleagues) answer it, the asker accepts one.
import { community } from "@agora/clients";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { describeError } from "../errors";
import { formatDate } from "../format";
import { useI18n } from "../i18n";
import { Empty, Failure, Show, useAction, useLoad } from "../states";

export function AnswerForm({ questionId, onAnswered }: { questionId: string; onAnswered: (answer: community.Answer) => void }) {
  const { t } = useI18n();
  const { clients } = useApp();
  const [body, setBody] = useState("");
  const { busy, failure, run } = useAction();
  const submit = run(async () => {
    const { answer } = await clients.community.postAnswer({ questionId, body: body.trim() });
    setBody("");
    if (answer) onAnswered(answer);
  });
  const id = `answer-${questionId}`;
  return (
    <form class="comment-form" onSubmit={submit}>
      <label for={id}>{t("question.yourAnswer")}</label>
      <textarea id={id} rows={3} required maxLength={10000} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
      <Failure message={failure} />
      <button type="submit" class="button button-primary" disabled={busy}>{t("question.answer")}</button>
    </form>
  );
}

export function QuestionPage({ questionId }: { questionId: string }) {
  const { t, language } = useI18n();
  const { clients, session } = useApp();
  const [failure, setFailure] = useState<string | null>(null);
  const [loaded, reload, set] = useLoad(() => clients.community.getQuestion({ questionId }), [questionId]);
  const accept = async (current: community.GetQuestionResponse, answerId: string): Promise<void> => {
    setFailure(null);
    try {
      await clients.community.acceptAnswer({ answerId });
      set({ ...current, answers: current.answers.map((a) => ({ ...a, accepted: a.answerId === answerId })) });
    } catch (error) {
      setFailure(describeError(error, t));
    }
  };
  return (
    <Show loaded={loaded} retry={reload}>
      {(current) => {
        const { question, answers } = current;
        if (question === undefined) return <Empty>{t("error.notFound")}</Empty>;
        const mine = question.askerId === session.subject;
        return (
          <>
            <h1>{question.title}</h1>
            <p class="meta">
              <span>{t("question.askedBy", { person: question.askerId })}</span>
              <span>{formatDate(question.createTime, language, true)}</span>
            </p>
            {question.body && <div class="wiki"><p>{question.body}</p></div>}
            {question.proposedExpertIds.length > 0 && (
              <p class="muted">{t("question.experts", { experts: question.proposedExpertIds.join(", ") })}</p>
            )}
            <h2>{t("question.answersTitle")}</h2>
            <Failure message={failure} />
            {answers.length === 0 ? <Empty>{t("question.noAnswer")}</Empty> : (
              <ul class="cards comments" data-testid="answers">
                {answers.map((answer) => (
                  <li key={answer.answerId} class={`card${answer.accepted ? " accepted" : ""}`}>
                    <p class="meta">
                      <strong>{answer.authorId}</strong>
                      <span>{formatDate(answer.createTime, language, true)}</span>
                      {answer.accepted && <span class="tag tag-ok">{t("question.accepted")}</span>}
                    </p>
                    <p class="wiki-text">{answer.body}</p>
                    {mine && !answer.accepted && (
                      <button type="button" class="button button-small" onClick={() => void accept(current, answer.answerId)}>
                        {t("question.accept")}
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            )}
            {!mine && (
              <AnswerForm questionId={question.questionId}
                onAnswered={(answer) => set({ ...current, answers: [...answers, answer] })} />
            )}
          </>
        );
      }}
    </Show>
  );
}
