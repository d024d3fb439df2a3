// The signed-in app's token keeper: refreshed on a timer before the access token
// expires, and by any call that finds it due or is answered UNAUTHENTICATED (tokens.ts).
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { useEffect, useMemo } from "preact/hooks";

import { refreshTokens, saveTokens, type Session } from "./auth";
import type { WebConfig } from "./config";
import { SessionEnded, TokenKeeper } from "./tokens";

const RETRY_MS = 15_000;

function unauthenticated(problem: unknown): boolean {
  return problem instanceof ConnectError && problem.code === Code.Unauthenticated;
}

/** Sends each call with the keeper's token; an UNAUTHENTICATED answer refreshes it and retries once. */
export function refreshingBearer(keeper: TokenKeeper): Interceptor {
  return (next) => (request) =>
    keeper.call((token) => {
      request.header.set("Authorization", `Bearer ${token}`);
      return next(request);
    }, unauthenticated);
}

/** One keeper per sign-in; `ended` runs once when the provider refuses the refresh token. */
export function useTokenKeeper(config: WebConfig, session: Session, ended: () => void): TokenKeeper {
  const keeper = useMemo(
    () =>
      new TokenKeeper({
        tokens: session.tokens,
        redeem: (refreshToken) => refreshTokens(config, refreshToken),
        saved: (tokens) => saveTokens(session, tokens),
        ended,
        now: Date.now,
      }),
    [config, session],
  );
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const plan = (delay: number): void => {
      timer = setTimeout(() => {
        keeper.accessToken().then(
          () => plan(keeper.untilDue()),
          (problem: unknown) => {
            if (!(problem instanceof SessionEnded)) plan(RETRY_MS); // provider unreachable: try again
          },
        );
      }, delay);
    };
    plan(keeper.untilDue());
    return () => clearTimeout(timer);
  }, [keeper]);
  return keeper;
}
