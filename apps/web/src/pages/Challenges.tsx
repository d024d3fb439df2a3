// Challenges and duels: those the caller takes part in (paged) with progress, and a
// one-to-one quiz duel to open with a colleague.
import { gamification } from "@agora/clients";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { describeError } from "../errors";
import { formatDate } from "../format";
import { useI18n } from "../i18n";
import { Empty, MoreButton, Show, usePaged } from "../states";

function DuelForm({ onCreated }: { onCreated: () => void }) {
  const { t } = useI18n();
  const { clients, session } = useApp();
  const [opponent, setOpponent] = useState("");
  const [quizId, setQuizId] = useState("");
  const [ends, setEnds] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      await clients.gamification.createChallenge({
        challenge: {
          title: t("duel.name", { a: session.subject, b: opponent.trim() }),
          scope: gamification.ChallengeScope.DUEL,
          participantIds: [session.subject, opponent.trim()],
          quizItemId: quizId.trim(),
          startsAt: timestampFromDate(new Date()),
          endsAt: timestampFromDate(new Date(`${ends}T23:59:00`)),
        },
      });
      setOpponent("");
      onCreated();
    } catch (error) {
      setFailure(describeError(error, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form" onSubmit={(event) => void submit(event)} aria-labelledby="duel-title">
      <h2 id="duel-title" class="card-title">{t("duel.title")}</h2>
      <label for="duel-opponent">{t("duel.opponent")}</label>
      <input id="duel-opponent" required value={opponent} onInput={(e) => setOpponent(e.currentTarget.value)} />
      <label for="duel-quiz">{t("duel.quiz")}</label>
      <input id="duel-quiz" required value={quizId} onInput={(e) => setQuizId(e.currentTarget.value)} />
      <label for="duel-ends">{t("duel.ends")}</label>
      <input id="duel-ends" type="date" required value={ends} onInput={(e) => setEnds(e.currentTarget.value)} />
      {failure !== null && <p role="alert" class="state state-error">{failure}</p>}
      <button type="submit" class="button button-primary" disabled={busy}>{t("duel.submit")}</button>
    </form>
  );
}

export function Challenges() {
  const { t, language } = useI18n();
  const { clients, session } = useApp();
  const [round, setRound] = useState(0);
  const { loaded, reload, more, moreError } = usePaged<gamification.Challenge>(async (pageToken) => {
    const answer = await clients.gamification.listChallenges({ pageSize: 20, pageToken });
    return { items: answer.challenges, next: answer.nextPageToken };
  }, [round]);
  return (
    <>
      <h1>{t("challenges.title")}</h1>
      <Show loaded={loaded} retry={reload}>
        {(page) =>
          page.items.length === 0 ? <Empty>{t("challenges.empty")}</Empty> : (
            <>
              <ul class="cards" data-testid="challenges">
                {page.items.map((c) => {
                  const mine = Number(c.progress[session.subject] ?? 0n);
                  return (
                    <li key={c.challengeId} class="card">
                      <h2 class="card-title">{c.title}</h2>
                      <p class="meta">
                        <span class="tag">{t(c.scope === gamification.ChallengeScope.DUEL ? "challenges.duel" : "challenges.challenge")}</span>
                        <span>{t("challenges.ends", { date: formatDate(c.endsAt, language) })}</span>
                        <span class={c.state === "completed" ? "tag tag-ok" : "tag"}>
                          {t(c.state === "completed" ? "challenges.completed" : "challenges.open")}
                        </span>
                      </p>
                      <p class="muted">{t("challenges.with", { people: c.participantIds.join(", ") })}</p>
                      {c.target > 0 && (
                        <>
                          <progress max={c.target} value={mine} aria-label={t("challenges.progress", { done: mine, target: c.target })} />
                          <p class="muted">{t("challenges.progress", { done: mine, target: c.target })}</p>
                        </>
                      )}
                      {c.winnerIds.length > 0 && <p class="result-ok">{t("challenges.winners", { people: c.winnerIds.join(", ") })}</p>}
                    </li>
                  );
                })}
              </ul>
              <MoreButton page={page} more={more} error={moreError} />
            </>
          )
        }
      </Show>
      <DuelForm onCreated={() => setRound((n) => n + 1)} />
    </>
  );
}
