// An item: opens or plays its content, marks completion; a quiz is graded by the server
// and the points it earns appear here once gamification has counted them.
import { catalog } from "@agora/clients";
import { useEffect, useState } from "preact/hooks";

import { useApp } from "../context";
import { formatDate } from "../format";
import { useI18n } from "../i18n";
import { href } from "../router";
import { ErrorState, Show, useLoad } from "../states";
import { typeLabel } from "./Search";
import { Social } from "./Social";

const REWARD_POLL_MS = 1500;
const REWARD_POLL_LIMIT = 60;

function Rewards({ before }: { before: bigint }) {
  const { t } = useI18n();
  const { clients, session } = useApp();
  const [profile, setProfile] = useState<{ points: bigint; level: string } | null>(null);
  useEffect(() => {
    let rounds = 0;
    let stopped = false;
    const poll = async (): Promise<void> => {
      while (!stopped && rounds++ < REWARD_POLL_LIMIT) {
        const answer = await clients.gamification.getProfile({ learnerId: session.subject }).catch(() => null);
        const points = answer?.profile?.points ?? 0n;
        if (points > before) {
          setProfile({ points, level: answer?.profile?.level?.name ?? "" });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, REWARD_POLL_MS));
      }
    };
    void poll();
    return () => {
      stopped = true;
    };
  }, [before]);
  return (
    <section class="card reward" aria-live="polite" data-testid="rewards">
      <h2>{t("reward.title")}</h2>
      <p>{profile === null ? t("reward.waiting") : t("reward.points", { points: String(profile.points), level: profile.level })}</p>
    </section>
  );
}

function Quiz({ item, quiz, onGraded }: { item: catalog.Item; quiz: catalog.QuizContent; onGraded: () => void }) {
  const { t } = useI18n();
  const { clients } = useApp();
  const [answers, setAnswers] = useState<Record<string, string[]>>({});
  const [result, setResult] = useState<catalog.SubmitQuizAttemptResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const choose = (question: catalog.QuizQuestion, choiceId: string, checked: boolean): void => {
    const current = answers[question.questionId] ?? [];
    const next = question.multiple
      ? checked ? [...current, choiceId] : current.filter((id) => id !== choiceId)
      : [choiceId];
    setAnswers({ ...answers, [question.questionId]: next });
  };
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const unanswered = quiz.questions.some((q) => !(answers[q.questionId]?.length));
    setMissing(unanswered);
    if (unanswered) return;
    setBusy(true);
    setError(null);
    try {
      const graded = await clients.catalog.submitQuizAttempt({
        itemId: item.itemId,
        answers: quiz.questions.map((q) => ({ questionId: q.questionId, choiceIds: answers[q.questionId] ?? [] })),
      });
      setResult(graded);
      onGraded();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const verdict = (questionId: string): boolean | undefined =>
    result?.results.find((r) => r.questionId === questionId)?.correct;
  return (
    <form class="quiz" onSubmit={submit} aria-labelledby="quiz-title">
      <h2 id="quiz-title">{t("quiz.title")}</h2>
      {quiz.questions.map((question, index) => (
        <fieldset key={question.questionId} class="question">
          <legend>
            <span class="muted">{t("quiz.question", { number: index + 1 })}</span> {question.text}
            {verdict(question.questionId) !== undefined && (
              <span class={`tag ${verdict(question.questionId) ? "tag-ok" : "tag-alert"}`}>
                {verdict(question.questionId) ? t("quiz.correct") : t("quiz.wrong")}
              </span>
            )}
          </legend>
          {question.choices.map((choice) => (
            <label key={choice.choiceId} class="choice">
              <input
                type={question.multiple ? "checkbox" : "radio"}
                name={question.questionId}
                value={choice.choiceId}
                checked={answers[question.questionId]?.includes(choice.choiceId) ?? false}
                onChange={(event) => choose(question, choice.choiceId, event.currentTarget.checked)}
              />
              {choice.text}
            </label>
          ))}
        </fieldset>
      ))}
      {missing && <p role="alert" class="state-error">{t("quiz.unanswered")}</p>}
      {error !== null && <ErrorState error={error} />}
      {result !== null && (
        <p role="status" class={result.passed ? "result-ok" : "result-alert"} data-testid="quiz-result">
          {result.passed
            ? t("quiz.passed", { score: Math.round(result.scorePercent) })
            : t("quiz.failed", { score: Math.round(result.scorePercent), mark: Math.round(quiz.passMarkPercent) })}
          {result.attemptsLeft > 0 && ` ${t("quiz.attemptsLeft", { count: result.attemptsLeft })}`}
        </p>
      )}
      <button type="submit" class="button button-primary" disabled={busy}>{t("quiz.submit")}</button>
    </form>
  );
}

function Content({ item, onDone }: { item: catalog.Item; onDone: () => void }) {
  const { t, language } = useI18n();
  const { clients, session } = useApp();
  const [registered, setRegistered] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const content = item.content;
  const external = (url: string, label: string) => (
    <p><a class="button button-primary" href={url} target="_blank" rel="noopener noreferrer">{label}</a></p>
  );
  switch (content.case) {
    case "video":
      return external(content.value.url, t("item.play"));
    case "document":
    case "link":
      return external(content.value.url, t("item.open"));
    case "scorm":
      return external(content.value.launchUrl, t("item.launch"));
    case "wiki":
      return <div class="wiki">{content.value.markdown.split(/\n{2,}/).map((block, i) => <p key={i}>{block}</p>)}</div>;
    case "quiz":
      return <Quiz item={item} quiz={content.value} onGraded={onDone} />;
    case "session": {
      const session_ = content.value;
      const already = registered || session_.registeredIds.includes(session.subject);
      const register = (): void => {
        setError(null);
        clients.catalog.registerForSession({ itemId: item.itemId }).then(() => setRegistered(true), setError);
      };
      return (
        <div>
          <p>{t("item.sessionAt", { start: formatDate(session_.startsAt, language, true), place: session_.place })}</p>
          <p class="muted">{t("item.seats", { count: session_.seats })}</p>
          {already ? <p role="status">{t("item.registered")}</p> : (
            <button type="button" class="button button-primary" onClick={register}>{t("item.register")}</button>
          )}
          {error !== null && <ErrorState error={error} />}
        </div>
      );
    }
    default:
      return null;
  }
}

export function ItemPage({ itemId }: { itemId: string }) {
  const { t } = useI18n();
  const { clients, session } = useApp();
  const [loaded, reload] = useLoad(async () => {
    const [answer, profile] = await Promise.all([
      clients.catalog.getItem({ itemId }),
      clients.gamification.getProfile({ learnerId: session.subject }),
    ]);
    // Opening an item starts it (the catalog keeps "continue where you left off");
    // the content is shown even if that record fails.
    await clients.catalog.startItem({ itemId }).catch(() => undefined);
    return { item: answer.item, points: profile.profile?.points ?? 0n };
  }, [itemId]);
  const [completed, setCompleted] = useState(false);
  const [rewarded, setRewarded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const complete = (): void => {
    setError(null);
    clients.catalog.completeItem({ itemId }).then(() => {
      setCompleted(true);
      setRewarded(true);
    }, setError);
  };
  return (
    <>
      <p><a href={href({ page: "search", query: "" })}>← {t("item.back")}</a></p>
      <Show loaded={loaded} retry={reload}>
        {({ item, points }) =>
          item === undefined ? null : (
            <article>
              <h1>{item.title}</h1>
              <p class="meta">
                <span class="tag">{t(typeLabel(item.type))}</span>
                <span>{item.language.toUpperCase()}</span>
              </p>
              <p class="lead">{item.summary}</p>
              <Content item={item} onDone={() => setRewarded(true)} />
              {item.content.case !== "quiz" && (
                completed ? <p role="status" class="result-ok">{t("item.completed")}</p> : (
                  <button type="button" class="button" onClick={complete}>{t("item.complete")}</button>
                )
              )}
              {error !== null && <ErrorState error={error} />}
              {rewarded && <Rewards before={points} />}
              <Social itemId={item.itemId} />
            </article>
          )
        }
      </Show>
    </>
  );
}
