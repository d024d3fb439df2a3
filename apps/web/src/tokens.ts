// Keeping a sign-in alive with refresh tokens: the logic only, no I/O (the provider's
// refresh_token grant, the storage and the clock are given), so it is unit-tested as is.
//
// - The access token is refreshed when it is due (three quarters of its lifetime, at
//   most a minute before it expires): by the app's timer, or by the next call.
// - A call the service answers UNAUTHENTICATED (a token revoked, a clock ahead) refreshes
//   and is retried once with the new token.
// - Single flight: every caller during one refresh shares it. The provider rotates the
//   refresh token at each use and revokes the whole sign-in when an old one comes back,
//   so two parallel refreshes with the same token would end the session.
// - The provider refusing the refresh token (expired, revoked, reused) ends the session
//   once (`ended`); a failure to reach it is transient: the current token is used while
//   it is valid, and the call fails as "unreachable" after that.

export interface Tokens {
  accessToken: string;
  /** When the access token expires (epoch ms). */
  expiresAt: number;
  /** When to refresh it (epoch ms): before it expires. */
  refreshAt: number;
  /** Null when the provider issued none: the session then ends with the access token. */
  refreshToken: string | null;
}

/** The provider refused the refresh token, or there is none: sign in again. */
export class SessionEnded extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SessionEnded";
  }
}

const MAX_LEAD_MS = 60_000;

/** Tokens from a token endpoint answer received at `now` (a refresh without a new refresh token keeps `previous`). */
export function tokensFrom(
  answer: { access_token: string; expires_in?: number; refresh_token?: string },
  now: number,
  previous: string | null = null,
): Tokens {
  const lifetime = (answer.expires_in ?? 300) * 1000;
  const lead = Math.min(MAX_LEAD_MS, lifetime / 4);
  return {
    accessToken: answer.access_token,
    expiresAt: now + lifetime,
    refreshAt: now + lifetime - lead,
    refreshToken: answer.refresh_token ?? previous,
  };
}

export interface KeeperOptions {
  tokens: Tokens;
  /** Redeems a refresh token at the provider; rejects with SessionEnded when the provider refuses it. */
  redeem: (refreshToken: string) => Promise<Tokens>;
  /** Each new set of tokens, to store. */
  saved: (tokens: Tokens) => void;
  /** Once, when the session cannot continue. */
  ended: (reason: SessionEnded) => void;
  now: () => number;
}

export class TokenKeeper {
  #tokens: Tokens;
  #inFlight: Promise<string> | null = null;
  #ended: SessionEnded | null = null;
  readonly #options: KeeperOptions;

  constructor(options: KeeperOptions) {
    this.#options = options;
    this.#tokens = options.tokens;
  }

  get tokens(): Tokens {
    return this.#tokens;
  }

  /** Milliseconds until the access token is due for a refresh (0 when due); without a refresh token, until it expires. */
  untilDue(): number {
    const due = this.#tokens.refreshToken === null ? this.#tokens.expiresAt : this.#tokens.refreshAt;
    return Math.max(0, due - this.#options.now());
  }

  /** The access token to send: refreshed first when due; a transient failure keeps a still valid one. */
  async accessToken(): Promise<string> {
    if (this.#ended !== null) throw this.#ended;
    if (this.untilDue() > 0) return this.#tokens.accessToken;
    try {
      return await this.refresh();
    } catch (problem) {
      if (problem instanceof SessionEnded || this.#options.now() >= this.#tokens.expiresAt) throw problem;
      return this.#tokens.accessToken;
    }
  }

  /**
   * A new access token. `refused`: the token a service refused; when a refresh has
   * replaced it meanwhile, the newer token is returned without another refresh.
   */
  refresh(refused?: string): Promise<string> {
    if (this.#ended !== null) return Promise.reject(this.#ended);
    if (refused !== undefined && refused !== this.#tokens.accessToken) return Promise.resolve(this.#tokens.accessToken);
    this.#inFlight ??= this.#redeem().finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  async #redeem(): Promise<string> {
    const refreshToken = this.#tokens.refreshToken;
    if (refreshToken === null) throw this.#end(new SessionEnded("no refresh token"));
    let tokens: Tokens;
    try {
      tokens = await this.#options.redeem(refreshToken);
    } catch (problem) {
      throw problem instanceof SessionEnded ? this.#end(problem) : problem;
    }
    this.#tokens = tokens;
    this.#options.saved(tokens);
    return tokens.accessToken;
  }

  #end(reason: SessionEnded): SessionEnded {
    if (this.#ended === null) {
      this.#ended = reason;
      this.#options.ended(reason);
    }
    return reason;
  }

  /**
   * Runs `send` with the access token; when the answer is UNAUTHENTICATED, refreshes
   * (shared with concurrent calls) and retries once. When the session ends instead,
   * the call fails with the service's own answer.
   */
  async call<T>(send: (accessToken: string) => Promise<T>, unauthenticated: (problem: unknown) => boolean): Promise<T> {
    const token = await this.accessToken();
    try {
      return await send(token);
    } catch (problem) {
      if (!unauthenticated(problem)) throw problem;
      let fresh: string;
      try {
        fresh = await this.refresh(token);
      } catch (failure) {
        throw failure instanceof SessionEnded ? problem : failure;
      }
      return send(fresh);
    }
  }
}
