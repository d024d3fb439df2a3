// Leaderboards: the tenant's board for a period, the caller's rank and neighbours, and
// the caller's privacy choice (leave the boards). Names follow the tenant's privacy mode.
import { gamification } from "@agora/clients";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { describeError } from "../errors";
import { useI18n } from "../i18n";
import { Empty, Show, useLoad } from "../states";

const PERIODS = [
  [gamification.Period.WEEK, "board.week"],
  [gamification.Period.MONTH, "board.month"],
  [gamification.Period.ALL_TIME, "board.allTime"],
] as const;

function Entries({ entries, label }: { entries: gamification.LeaderboardEntry[]; label: string }) {
  const { t } = useI18n();
  return (
    <ol class="board" aria-label={label}>
      {entries.map((entry) => (
        <li key={`${entry.rank}-${entry.learnerId}`} class={entry.isMe ? "me" : ""}>
          <span class="rank">{String(entry.rank)}</span>
          <span class="who">{entry.isMe ? t("board.you") : entry.learnerId || t("board.hidden")}</span>
          <span class="points">{t("board.points", { count: String(entry.points) })}</span>
        </li>
      ))}
    </ol>
  );
}

function Privacy() {
  const { t } = useI18n();
  const { clients } = useApp();
  const [optOut, setOptOut] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const change = async (value: boolean): Promise<void> => {
    setOptOut(value);
    setMessage(null);
    try {
      await clients.gamification.putPersonSettings({ leaderboardOptOut: value });
      setMessage({ ok: true, text: value ? t("board.optedOut") : t("board.optedIn") });
    } catch (error) {
      setOptOut(!value); // rollback
      setMessage({ ok: false, text: describeError(error, t) });
    }
  };
  return (
    <section class="card" aria-labelledby="board-privacy">
      <h2 id="board-privacy" class="card-title">{t("board.privacy")}</h2>
      <label class="choice">
        <input type="checkbox" checked={optOut} onChange={(e) => void change(e.currentTarget.checked)} />
        {t("board.optOut")}
      </label>
      {message !== null && <p role={message.ok ? "status" : "alert"} class={message.ok ? "result-ok" : "state state-error"}>{message.text}</p>}
    </section>
  );
}

export function Leaderboard() {
  const { t } = useI18n();
  const { clients } = useApp();
  const [period, setPeriod] = useState<gamification.Period>(gamification.Period.WEEK);
  const [loaded, reload] = useLoad(
    () => clients.gamification.getLeaderboard({ scope: gamification.BoardScope.TENANT, period, topN: 20, aroundMe: true, neighbours: 2 }),
    [period],
  );
  return (
    <>
      <h1>{t("board.title")}</h1>
      <div class="field narrow">
        <label for="board-period">{t("board.period")}</label>
        <select id="board-period" value={period} onChange={(e) => setPeriod(Number(e.currentTarget.value) as gamification.Period)}>
          {PERIODS.map(([value, key]) => <option key={value} value={value}>{t(key)}</option>)}
        </select>
      </div>
      <Show loaded={loaded} retry={reload}>
        {(board) => (
          <>
            <p class="muted" data-testid="my-rank">
              {board.me && board.me.rank > 0n
                ? t("board.myRank", { rank: String(board.me.rank), count: String(board.rankedCount) })
                : t("board.unranked")}
              {" "}{t(`board.mode.${board.privacyMode}` as "board.mode.public")}
            </p>
            {board.top.length === 0 ? <Empty>{t("board.empty")}</Empty> : (
              <div class="columns">
                <section aria-labelledby="board-top"><h2 id="board-top">{t("board.top")}</h2><Entries entries={board.top} label={t("board.top")} /></section>
                {board.aroundMe.length > 0 && (
                  <section aria-labelledby="board-around"><h2 id="board-around">{t("board.around")}</h2><Entries entries={board.aroundMe} label={t("board.around")} /></section>
                )}
              </div>
            )}
          </>
        )}
      </Show>
      <Privacy />
    </>
  );
}
