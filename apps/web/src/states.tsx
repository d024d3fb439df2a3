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
