// Leaderboards: the tenant's board for a period, the caller's rank and neighbours, and
// the caller's privacy choice (leave the boards), read back from the service. Names
// follow the tenant's privacy mode.
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

/** The caller's own gamification settings, as read back. */
interface Own {
  timeZone: string;
  leaderboardOptOut: boolean;
}

function Privacy({ onChanged }: { onChanged: () => void }) {
  const { t } = useI18n();
  const { clients } = useApp();
  const [loaded, reload, set] = useLoad(async (): Promise<Own> => {
    const { settings } = await clients.gamification.getPersonSettings({});
    return { timeZone: settings?.timeZone ?? "", leaderboardOptOut: settings?.leaderboardOptOut ?? false };
  }, []);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const change = async (settings: Own, value: boolean): Promise<void> => {
    set({ ...settings, leaderboardOptOut: value });
    setMessage(null);
    try {
      // The put replaces both settings: the time zone read back is sent unchanged.
      await clients.gamification.putPersonSettings({ timeZone: settings.timeZone, leaderboardOptOut: value });
      setMessage({ ok: true, text: value ? t("board.optedOut") : t("board.optedIn") });
      onChanged();
    } catch (error) {
      set(settings); // rollback
      setMessage({ ok: false, text: describeError(error, t) });
    }
  };
  return (
    <section class="card" aria-labelledby="board-privacy">
      <h2 id="board-privacy" class="card-title">{t("board.privacy")}</h2>
      <Show loaded={loaded} retry={reload}>
        {(settings) => (
          <label class="choice">
            <input type="checkbox" checked={settings.leaderboardOptOut} onChange={(e) => void change(settings, e.currentTarget.checked)} />
            {t("board.optOut")}
          </label>
        )}
      </Show>
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
      <Privacy onChanged={reload} />
    </>
  );
}
