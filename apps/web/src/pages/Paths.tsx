// Learning paths: the published ones (paged), and one path's page with its steps, the
// caller's progress on it and self-enrolment.
import { catalog } from "@agora/clients";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { describeError } from "../errors";
import { useI18n } from "../i18n";
import { href } from "../router";
import { Empty, PagedList, Show, useLoad, usePaged } from "../states";
import { typeLabel } from "./Search";

export function Paths() {
  const { t } = useI18n();
  const { clients } = useApp();
  const paged = usePaged<catalog.Path>(async (pageToken) => {
    const answer = await clients.catalog.listPaths({ pageSize: 20, pageToken });
    return { items: answer.paths, next: answer.nextPageToken };
  }, []);
  return (
    <>
      <h1>{t("paths.title")}</h1>
      <PagedList paged={paged} empty={t("paths.empty")}>
        {(items) => (
          <ul class="cards" data-testid="paths">
            {items.map((path) => (
              <li key={path.pathId} class="card">
                <h2 class="card-title"><a href={href({ page: "path", pathId: path.pathId })}>{path.title}</a></h2>
                <p class="meta">
                  <span>{t("paths.steps", { count: path.steps.length })}</span>
                  {path.onboarding && <span class="tag">{t("paths.onboarding")}</span>}
                </p>
                <p class="muted">{path.description}</p>
              </li>
            ))}
          </ul>
        )}
      </PagedList>
    </>
  );
}

async function loadPath(clients: ReturnType<typeof useApp>["clients"], pathId: string) {
  const [{ path }, progress] = await Promise.all([
    clients.catalog.getPath({ pathId }),
    clients.catalog.listMyProgress({ pageSize: 100 }),
  ]);
  const steps = await Promise.all(
    (path?.steps ?? []).map(async (step) => {
      const item = await clients.catalog.getItem({ itemId: step.itemId }).then((answer) => answer.item, () => undefined);
      return { step, item };
    }),
  );
  return { path, steps, progress: progress.paths.find((p) => p.pathId === pathId) };
}

export function PathPage({ pathId }: { pathId: string }) {
  const { t } = useI18n();
  const { clients } = useApp();
  const [failure, setFailure] = useState<string | null>(null);
  const [loaded, reload] = useLoad(() => loadPath(clients, pathId), [pathId]);
  const enrol = async (): Promise<void> => {
    setFailure(null);
    try {
      await clients.catalog.enrolInPath({ pathId });
      reload();
    } catch (error) {
      setFailure(describeError(error, t));
    }
  };
  return (
    <Show loaded={loaded} retry={reload}>
      {({ path, steps, progress }) => {
        if (path === undefined) return <Empty>{t("error.notFound")}</Empty>;
        const done = new Set(progress?.completedItemIds ?? []);
        return (
          <>
            <h1>{path.title}</h1>
            <p class="lead">{path.description}</p>
            {path.objectives.length > 0 && (
              <ul>{path.objectives.map((objective) => <li key={objective}>{objective}</li>)}</ul>
            )}
            {progress ? (
              <p data-testid="path-progress">
                {t("paths.progress", { done: progress.mandatoryCompleted, total: progress.mandatorySteps })}
                {progress.completed && <span class="tag tag-ok">{t("home.done")}</span>}
              </p>
            ) : (
              <button type="button" class="button button-primary" onClick={() => void enrol()}>{t("paths.enrol")}</button>
            )}
            {failure !== null && <p role="alert" class="state state-error">{failure}</p>}
            <h2>{t("paths.stepsTitle")}</h2>
            <ol class="steps" data-testid="steps">
              {steps.map(({ step, item }) => (
                <li key={step.itemId} class="card">
                  <h3>
                    {item ? <a href={href({ page: "item", itemId: step.itemId })}>{item.title}</a> : step.itemId}
                  </h3>
                  <p class="meta">
                    {item && <span class="tag">{t(typeLabel(item.type))}</span>}
                    {item && item.estimatedMinutes > 0 && <span>{t("search.minutes", { count: item.estimatedMinutes })}</span>}
                    <span>{t(step.mandatory ? "paths.mandatory" : "paths.optional")}</span>
                    {done.has(step.itemId) && <span class="tag tag-ok">{t("home.done")}</span>}
                  </p>
                </li>
              ))}
            </ol>
          </>
        );
      }}
    </Show>
  );
}
