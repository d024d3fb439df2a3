// Challenges and duels: those the caller takes part in (paged) with progress, and a
// one-to-one quiz duel to open with a colleague picked by name (the people directory).
import { gamification } from "@agora/clients";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { formatDate } from "../format";
import { useI18n } from "../i18n";
import { PersonSearch } from "../people";
import { Failure, PagedList, useAction, usePaged } from "../states";

function DuelForm({ onCreated }: { onCreated: () => void }) {
  const { t } = useI18n();
  const { clients, session } = useApp();
  const [opponent, setOpponent] = useState<{ id: string; name: string } | null>(null);
  const [quizId, setQuizId] = useState("");
  const [ends, setEnds] = useState("");
  const { busy, failure, setFailure, run } = useAction();
  const submit = run(async () => {
    if (opponent === null) {
      setFailure(t("duel.noOpponent"));
      return;
    }
    await clients.gamification.createChallenge({
      challenge: {
        title: t("duel.name", { a: session.subject, b: opponent.id }),
        scope: gamification.ChallengeScope.DUEL,
        participantIds: [session.subject, opponent.id],
        quizItemId: quizId.trim(),
        startsAt: timestampFromDate(new Date()),
        endsAt: timestampFromDate(new Date(`${ends}T23:59:00`)),
      },
    });
    setOpponent(null);
    onCreated();
  });
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="duel-title">
      <h2 id="duel-title" class="card-title">{t("duel.title")}</h2>
      <PersonSearch id="duel-opponent" label={t("duel.opponent")} onPick={(person) => setOpponent({ id: person.personId, name: person.displayName })} />
      <p role="status" class="muted" data-testid="duel-chosen">
        {opponent === null ? t("duel.noneChosen") : t("duel.chosen", { name: opponent.name })}
      </p>
      <label for="duel-quiz">{t("duel.quiz")}</label>
      <input id="duel-quiz" required value={quizId} onInput={(e) => setQuizId(e.currentTarget.value)} />
      <label for="duel-ends">{t("duel.ends")}</label>
      <input id="duel-ends" type="date" required value={ends} onInput={(e) => setEnds(e.currentTarget.value)} />
      <Failure message={failure} />
      <button type="submit" class="button button-primary" disabled={busy}>{t("duel.submit")}</button>
    </form>
  );
}

export function Challenges() {
  const { t, language } = useI18n();
  const { clients, session } = useApp();
  const [round, setRound] = useState(0);
  const paged = usePaged<gamification.Challenge>(async (pageToken) => {
    const answer = await clients.gamification.listChallenges({ pageSize: 20, pageToken });
    return { items: answer.challenges, next: answer.nextPageToken };
  }, [round]);
  return (
    <>
      <h1>{t("challenges.title")}</h1>
      <PagedList paged={paged} empty={t("challenges.empty")}>
        {(items) => (
          <ul class="cards" data-testid="challenges">
            {items.map((c) => {
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
        )}
      </PagedList>
      <DuelForm onCreated={() => setRound((n) => n + 1)} />
    </>
  );
}
