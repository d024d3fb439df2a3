// Loading, error and empty states, the same on every page.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";

import { describeError } from "./errors";
import { useI18n } from "./i18n";

export type Loaded<T> =
  | { status: "loading" }
  | { status: "error"; error: unknown }
  | { status: "ready"; value: T };

/** Runs `load` when `deps` change; `reload` runs it again (the error state's button). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Loaded<T>, () => void, (value: T) => void] {
  const [state, setState] = useState<Loaded<T>>({ status: "loading" });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setState({ status: "loading" });
    load().then(
      (value) => current && setState({ status: "ready", value }),
      (error: unknown) => current && setState({ status: "error", error }),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  const set = useCallback((value: T) => setState({ status: "ready", value }), []);
  return [state, reload, set];
}

export function Loading() {
  const { t } = useI18n();
  return (
    <p class="state state-loading" role="status" aria-live="polite">
      {t("state.loading")}
    </p>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const { t } = useI18n();
  return (
    <div class="state state-error" role="alert">
      <p>{describeError(error, t)}</p>
      {retry && (
        <button type="button" class="button" onClick={retry}>
          {t("state.retry")}
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state state-empty">{children}</p>;
}

export function Show<T>({ loaded, retry, children }: { loaded: Loaded<T>; retry: () => void; children: (value: T) => ComponentChildren }) {
  if (loaded.status === "loading") return <Loading />;
  if (loaded.status === "error") return <ErrorState error={loaded.error} retry={retry} />;
  return <>{children(loaded.value)}</>;
}

/** One page of a paged list: its items and the token of the next page ("" at the end). */
export interface Paged<T> {
  items: T[];
  next: string;
}

/**
 * A paged list: `fetch(token)` loads one page; `more()` appends the next one. A failed
 * "show more" keeps what is shown and reports the error beside the button.
 */
export function usePaged<T>(
  fetch: (pageToken: string) => Promise<Paged<T>>,
  deps: unknown[],
): { loaded: Loaded<Paged<T>>; reload: () => void; set: (value: Paged<T>) => void; more: () => void; moreError: unknown } {
  const [loaded, reload, set] = useLoad(() => fetch(""), deps);
  const [moreError, setMoreError] = useState<unknown>(null);
  const more = useCallback(() => {
    if (loaded.status !== "ready" || loaded.value.next === "") return;
    const shown = loaded.value;
    setMoreError(null);
    fetch(shown.next).then(
      (page) => set({ items: [...shown.items, ...page.items], next: page.next }),
      (error: unknown) => setMoreError(error),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded, set]);
  return { loaded, reload, set, more, moreError };
}

/** "Show more" under a paged list, with the error of the last attempt if it failed. */
export function MoreButton<T>({ page, more, error }: { page: Paged<T>; more: () => void; error: unknown }) {
  const { t } = useI18n();
  if (page.next === "") return null;
  return (
    <>
      {error !== null && <ErrorState error={error} />}
      <button type="button" class="button" onClick={more}>{t("list.more")}</button>
    </>
  );
}

/**
 * A form's action: `run(action)` gives the submit handler, which shows the form busy,
 * clears the last failure and, if the action throws, says what went wrong and what to do.
 */
export function useAction(): {
  busy: boolean;
  failure: string | null;
  setFailure: (failure: string | null) => void;
  run: (action: () => Promise<void>) => (event?: Event) => void;
} {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const run = (action: () => Promise<void>) => (event?: Event): void => {
    event?.preventDefault();
    setBusy(true);
    setFailure(null);
    action().then(
      () => setBusy(false),
      (error: unknown) => {
        setFailure(describeError(error, t));
        setBusy(false);
      },
    );
  };
  return { busy, failure, setFailure, run };
}

/** A failure beside the control that caused it (nothing when there is none). */
export function Failure({ message }: { message: string | null }) {
  return message === null ? null : <p role="alert" class="state state-error">{message}</p>;
}

/**
 * A paged list with its loading, error and empty states and its "show more" button;
 * `children` renders the items shown so far.
 */
export function PagedList<T>({ paged, empty, children }: {
  paged: ReturnType<typeof usePaged<T>>;
  empty: ComponentChildren;
  children: (items: T[], page: Paged<T>) => ComponentChildren;
}) {
  return (
    <Show loaded={paged.loaded} retry={paged.reload}>
      {(page) =>
        page.items.length === 0 ? <Empty>{empty}</Empty> : (
          <>
            {children(page.items, page)}
            <MoreButton page={page} more={paged.more} error={paged.moreError} />
          </>
        )
      }
    </Show>
  );
}
