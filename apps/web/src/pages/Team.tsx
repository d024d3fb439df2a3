// Manager's team view: every assignment the manager's team has, overdue first.
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { formatDate } from "../format";
import { useI18n } from "../i18n";
import { Empty, Show, useLoad } from "../states";
import { byUrgency } from "./Home";

export function Team() {
  const { t, language } = useI18n();
  const { clients } = useApp();
  const [overdueOnly, setOverdueOnly] = useState(false);
  const [loaded, reload] = useLoad(
    () => clients.catalog.listTeamAssignments({ overdueOnly, pageSize: 100 }),
    [overdueOnly],
  );
  return (
    <>
      <h1>{t("team.title")}</h1>
      <label class="choice">
        <input type="checkbox" checked={overdueOnly} onChange={(e) => setOverdueOnly(e.currentTarget.checked)} />
        {t("team.overdueOnly")}
      </label>
      <Show loaded={loaded} retry={reload}>
        {({ assignments }) =>
          assignments.length === 0 ? <Empty>{t("team.empty")}</Empty> : (
            // Focusable and named: a keyboard user can scroll a wide table on a phone.
            <div class="table-scroll" tabIndex={0} role="region" aria-label={t("team.title")}>
              <table data-testid="team">
                <caption class="visually-hidden">{t("team.title")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("team.learner")}</th>
                    <th scope="col">{t("team.target")}</th>
                    <th scope="col">{t("team.due")}</th>
                    <th scope="col">{t("team.progress")}</th>
                  </tr>
                </thead>
                <tbody>
                  {[...assignments].sort(byUrgency).map((a) => (
                    <tr key={a.assignmentId}>
                      <th scope="row">{a.learnerId}</th>
                      <td>{a.targetTitle}</td>
                      <td>
                        {formatDate(a.dueAt, language)} {a.overdue && <span class="tag tag-alert">{t("home.overdue")}</span>}
                      </td>
                      <td>{a.percent} %</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </>
  );
}
