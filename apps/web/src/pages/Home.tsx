// Home: points, level and streak, then assigned paths and items (overdue first, then by due date).
// The three sections load together and are drawn in one render: drawn one by one, a late
// answer grew its section and pushed the others down (Lighthouse's layout shift, 0.2 on a
// phone). Each section keeps its own error state, so one failing service hides only its part.
import { catalog, gamification } from "@agora/clients";

import { useApp } from "../context";
import { formatDate, toDate } from "../format";
import { useI18n } from "../i18n";
import { href } from "../router";
import { Empty, Loading, Show, useLoad, type Loaded } from "../states";
import { typeLabel } from "./Search";

type Assignment = catalog.Assignment;

/** Overdue first, then open ones by nearest due date (none last), completed at the end. */
export function byUrgency(a: Assignment, b: Assignment): number {
  const done = (x: Assignment): number => (x.state === catalog.AssignmentState.COMPLETED ? 1 : 0);
  if (done(a) !== done(b)) return done(a) - done(b);
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  const due = (x: Assignment): number => toDate(x.dueAt)?.getTime() ?? Number.POSITIVE_INFINITY;
  return due(a) - due(b);
}

type Clients = ReturnType<typeof useApp>["clients"];

interface Section<T> {
  loaded: Loaded<T>;
  retry: () => void;
}

function settled<T>(result: PromiseSettledResult<T>): Loaded<T> {
  return result.status === "fulfilled" ? { status: "ready", value: result.value } : { status: "error", error: result.reason };
}

function Profile({ loaded, retry: reload }: Section<gamification.GetProfileResponse>) {
  const { t } = useI18n();
  return (
    <section aria-labelledby="profile-title" class="card">
      <h2 id="profile-title" class="visually-hidden">
        {t("home.points")}
      </h2>
      <Show loaded={loaded} retry={reload}>
        {({ profile }) => (
          <>
            <dl class="stats">
              <div>
                <dt>{t("home.points")}</dt>
                <dd data-testid="points">{String(profile?.points ?? 0n)}</dd>
              </div>
              <div>
                <dt>{t("home.level")}</dt>
                <dd data-testid="level">{profile?.level?.name ?? "—"}</dd>
              </div>
              <div>
                <dt>{t("home.streak")}</dt>
                <dd>{t("home.streakDays", { count: profile?.streak?.currentDays ?? 0 })}</dd>
              </div>
            </dl>
            {profile !== undefined && profile.pointsToNextLevel > 0n && (
              <p class="muted">{t("home.toNext", { count: String(profile.pointsToNextLevel) })}</p>
            )}
            <h3>{t("home.badges")}</h3>
            {profile?.badges.length ? (
              <ul class="badges" data-testid="badges">
                {profile.badges.map((badge) => (
                  <li key={badge.awardId}>{badge.badgeName}</li>
                ))}
              </ul>
            ) : (
              <Empty>{t("home.noBadges")}</Empty>
            )}
          </>
        )}
      </Show>
    </section>
  );
}

function Assignments({ loaded, retry: reload }: Section<catalog.ListMyAssignmentsResponse>) {
  const { t, language } = useI18n();
  return (
    <section aria-labelledby="assignments-title">
      <h2 id="assignments-title">{t("home.assignments")}</h2>
      <Show loaded={loaded} retry={reload}>
        {({ assignments }) =>
          assignments.length === 0 ? (
            <Empty>
              {t("home.noAssignments")} <a href={href({ page: "search", query: "" })}>{t("home.browse")}</a>
            </Empty>
          ) : (
            <ul class="cards" data-testid="assignments">
              {[...assignments].sort(byUrgency).map((assignment) => {
                const completed = assignment.state === catalog.AssignmentState.COMPLETED;
                const target =
                  assignment.targetKind === catalog.TargetKind.PATH
                    ? href({ page: "path", pathId: assignment.targetId })
                    : href({ page: "item", itemId: assignment.targetId });
                const title = <a href={target}>{assignment.targetTitle}</a>;
                return (
                  <li key={assignment.assignmentId} class={`card${assignment.overdue ? " overdue" : ""}`}>
                    <h3>{title}</h3>
                    <p class="meta">
                      {assignment.overdue && <span class="tag tag-alert">{t("home.overdue")}</span>}
                      {completed && <span class="tag tag-ok">{t("home.done")}</span>}
                      <span>
                        {assignment.dueAt
                          ? t("home.due", { date: formatDate(assignment.dueAt, language) })
                          : t("home.noDue")}
                      </span>
                    </p>
                    <progress max={100} value={assignment.percent} aria-label={t("home.progress", { percent: assignment.percent })} />
                    <p class="muted">{t("home.progress", { percent: assignment.percent })}</p>
                  </li>
                );
              })}
            </ul>
          )
        }
      </Show>
    </section>
  );
}

const MICRO_MINUTES = 5;

/** In-progress items, most recently touched first, and today's short item (same all day). */
async function loadNext(clients: Clients) {
  const [progress, short] = await Promise.all([
    clients.catalog.listMyProgress({ pageSize: 50 }),
    clients.catalog.searchItems({ maxMinutes: MICRO_MINUTES, pageSize: 20, sort: catalog.SearchSort.POPULARITY }),
  ]);
  const touched = (p: catalog.ItemProgress): number => toDate(p.updatedAt)?.getTime() ?? 0;
  const resume = progress.items.filter((p) => !p.completed).sort((a, b) => touched(b) - touched(a)).slice(0, 3);
  const done = new Set(progress.items.filter((p) => p.completed).map((p) => p.itemId));
  const fresh = short.items.filter((item) => !done.has(item.itemId));
  const day = Math.floor(Date.now() / 86_400_000);
  return { resume, micro: fresh.length ? fresh[day % fresh.length] : undefined };
}

function Next({ loaded, retry: reload }: Section<Awaited<ReturnType<typeof loadNext>>>) {
  const { t } = useI18n();
  return (
    <Show loaded={loaded} retry={reload}>
      {({ resume, micro }) => (
        <div class="columns">
          <section aria-labelledby="resume-title">
            <h2 id="resume-title">{t("home.resume")}</h2>
            {resume.length === 0 ? <Empty>{t("home.nothingToResume")}</Empty> : (
              <ul class="cards comments" data-testid="resume">
                {resume.map((p) => (
                  <li key={p.itemId} class="card">
                    <h3><a href={href({ page: "item", itemId: p.itemId })}>{p.itemTitle}</a></h3>
                    <progress max={100} value={p.percent} aria-label={t("home.progress", { percent: p.percent })} />
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="micro-title">
            <h2 id="micro-title">{t("home.micro")}</h2>
            {micro === undefined ? <Empty>{t("home.noMicro")}</Empty> : (
              <div class="card" data-testid="micro">
                <h3><a href={href({ page: "item", itemId: micro.itemId })}>{micro.title}</a></h3>
                <p class="meta">
                  <span class="tag">{t(typeLabel(micro.type))}</span>
                  <span>{t("search.minutes", { count: micro.estimatedMinutes })}</span>
                </p>
                <p class="muted">{micro.summary}</p>
              </div>
            )}
          </section>
        </div>
      )}
    </Show>
  );
}

function loadHome(clients: Clients, learnerId: string) {
  return Promise.allSettled([
    clients.gamification.getProfile({ learnerId }),
    loadNext(clients),
    clients.catalog.listMyAssignments({ pageSize: 50 }),
  ]);
}

export function Home() {
  const { t } = useI18n();
  const { clients, session } = useApp();
  // allSettled never rejects: the sections show their own errors, `reload` retries all three.
  const [loaded, reload] = useLoad(() => loadHome(clients, session.subject), [session.subject]);
  return (
    <>
      <h1>{t("home.title", { name: session.name })}</h1>
      {loaded.status !== "ready" ? (
        <Loading />
      ) : (
        <>
          <Profile loaded={settled(loaded.value[0])} retry={reload} />
          <Next loaded={settled(loaded.value[1])} retry={reload} />
          <Assignments loaded={settled(loaded.value[2])} retry={reload} />
        </>
      )}
    </>
  );
}
