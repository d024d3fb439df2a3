// Manager's team view: assign a path with a due date, then every assignment of the team,
// overdue first, with progress (paged).
import { catalog } from "@agora/clients";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { formatDate } from "../format";
import { useI18n } from "../i18n";
import { PersonSearch } from "../people";
import { Empty, Failure, MoreButton, Show, useAction, useLoad, usePaged } from "../states";
import { byUrgency } from "./Home";

function AssignForm({ learners, onAssigned }: { learners: string[]; onAssigned: (count: number) => void }) {
  const { t } = useI18n();
  const { clients } = useApp();
  const [paths, reloadPaths] = useLoad(() => clients.catalog.listPaths({ pageSize: 100 }), []);
  const [pathId, setPathId] = useState("");
  const [chosen, setChosen] = useState<string[]>([]);
  const [names, setNames] = useState<Record<string, string>>({});
  const [others, setOthers] = useState("");
  const [due, setDue] = useState("");
  const [compliance, setCompliance] = useState(false);
  const { busy, failure, setFailure, run } = useAction();
  const toggle = (id: string, on: boolean): void =>
    setChosen(on ? [...chosen, id] : chosen.filter((other) => other !== id));
  const submit = run(async () => {
    const learnerIds = [...new Set([...chosen, ...others.split(/[\s,]+/).filter(Boolean)])];
    if (learnerIds.length === 0) {
      setFailure(t("assign.noLearner"));
      return;
    }
    const answer = await clients.catalog.createAssignments({
      learnerIds,
      targetKind: catalog.TargetKind.PATH,
      targetId: pathId,
      dueAt: due ? timestampFromDate(new Date(`${due}T23:59:00`)) : undefined,
      compliance,
    });
    setChosen([]);
    setNames({});
    setOthers("");
    onAssigned(answer.assignments.length);
  });
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="assign-title">
      <h2 id="assign-title" class="card-title">{t("assign.title")}</h2>
      <label for="assign-path">{t("assign.path")}</label>
      <Show loaded={paths} retry={reloadPaths}>
        {({ paths: list }) => (
          <select id="assign-path" required value={pathId} onChange={(e) => setPathId(e.currentTarget.value)}>
            <option value="">{t("assign.pickPath")}</option>
            {list.map((path) => <option key={path.pathId} value={path.pathId}>{path.title}</option>)}
          </select>
        )}
      </Show>
      <fieldset class="inline">
        <legend>{t("assign.learners")}</legend>
        {[...new Set([...learners, ...Object.keys(names)])].map((id) => (
          <label key={id} class="choice">
            <input type="checkbox" checked={chosen.includes(id)} onChange={(e) => toggle(id, e.currentTarget.checked)} />
            {names[id] ?? id}
          </label>
        ))}
      </fieldset>
      <PersonSearch id="assign-find" label={t("assign.find")} onPick={(person) => {
        setNames({ ...names, [person.personId]: person.displayName });
        if (!chosen.includes(person.personId)) setChosen([...chosen, person.personId]);
      }} />
      <label for="assign-others">{t("assign.others")}</label>
      <input id="assign-others" value={others} onInput={(e) => setOthers(e.currentTarget.value)} />
      <label for="assign-due">{t("assign.due")}</label>
      <input id="assign-due" type="date" required value={due} onInput={(e) => setDue(e.currentTarget.value)} />
      <label class="choice">
        <input type="checkbox" checked={compliance} onChange={(e) => setCompliance(e.currentTarget.checked)} />
        {t("assign.compliance")}
      </label>
      <Failure message={failure} />
      <button type="submit" class="button button-primary" disabled={busy}>{t("assign.submit")}</button>
    </form>
  );
}

export function Team() {
  const { t, language } = useI18n();
  const { clients } = useApp();
  const [overdueOnly, setOverdueOnly] = useState(false);
  const [round, setRound] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const { loaded, reload, more, moreError } = usePaged<catalog.Assignment>(async (pageToken) => {
    const answer = await clients.catalog.listTeamAssignments({ overdueOnly, pageSize: 50, pageToken });
    return { items: answer.assignments, next: answer.nextPageToken };
  }, [overdueOnly, round]);
  const learners = loaded.status === "ready" ? [...new Set(loaded.value.items.map((a) => a.learnerId))].sort() : [];
  return (
    <>
      <h1>{t("team.title")}</h1>
      {notice !== null && <p role="status" class="state result-ok">{notice}</p>}
      <AssignForm learners={learners} onAssigned={(count) => {
        setNotice(t("assign.done", { count }));
        setRound((n) => n + 1);
      }} />
      <label class="choice">
        <input type="checkbox" checked={overdueOnly} onChange={(e) => setOverdueOnly(e.currentTarget.checked)} />
        {t("team.overdueOnly")}
      </label>
      <Show loaded={loaded} retry={reload}>
        {(page) =>
          page.items.length === 0 ? <Empty>{t("team.empty")}</Empty> : (
            <>
              {/* Focusable and named: a keyboard user can scroll a wide table on a phone. */}
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
                    {[...page.items].sort(byUrgency).map((a) => (
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
              <MoreButton page={page} more={more} error={moreError} />
            </>
          )
        }
      </Show>
    </>
  );
}
