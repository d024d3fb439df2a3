// Unit tests of the refresh logic (src/tokens.ts): no I/O, a fake provider and clock.
// Run with `npm test` (tsc to .test-build/, then node's test runner).
import assert from "node:assert/strict";
import { test } from "node:test";

import { SessionEnded, TokenKeeper, tokensFrom, type Tokens } from "../src/tokens.ts";

const UNAUTHENTICATED = new Error("unauthenticated");

class Provider {
  redeemed: string[] = [];
  next = 1;
  refuse: SessionEnded | null = null;
  unreachable = false;
  pending: (() => void)[] = [];
  hold = false;

  redeem = async (refreshToken: string): Promise<Tokens> => {
    this.redeemed.push(refreshToken);
    if (this.hold) await new Promise<void>((resolve) => this.pending.push(resolve));
    if (this.unreachable) throw new TypeError("Failed to fetch");
    if (this.refuse !== null) throw this.refuse;
    const n = this.next++;
    return tokensFrom({ access_token: `access-${n}`, expires_in: 60, refresh_token: `refresh-${n}` }, clock.now);
  };
}

const clock = { now: 1_000_000 };

function keeper(provider: Provider, tokens?: Partial<Tokens>) {
  const saved: Tokens[] = [];
  const ended: SessionEnded[] = [];
  const start = tokensFrom({ access_token: "access-0", expires_in: 60, refresh_token: "refresh-0" }, clock.now);
  const keep = new TokenKeeper({
    tokens: { ...start, ...tokens },
    redeem: provider.redeem,
    saved: (t) => saved.push(t),
    ended: (reason) => ended.push(reason),
    now: () => clock.now,
  });
  return { keep, saved, ended };
}

test("tokensFrom refreshes at three quarters of a short lifetime, a minute early for a long one", () => {
  const short = tokensFrom({ access_token: "a", expires_in: 20 }, 0);
  assert.deepEqual(short, { accessToken: "a", expiresAt: 20_000, refreshAt: 15_000, refreshToken: null });
  const long = tokensFrom({ access_token: "a", expires_in: 3600, refresh_token: "r" }, 0);
  assert.equal(long.expiresAt - long.refreshAt, 60_000);
  assert.equal(tokensFrom({ access_token: "b", expires_in: 60 }, 0, "kept").refreshToken, "kept");
});

test("a token not yet due is used as is; a due one is refreshed and saved", async () => {
  const provider = new Provider();
  const { keep, saved } = keeper(provider);
  assert.equal(await keep.accessToken(), "access-0");
  assert.equal(keep.untilDue(), 45_000);
  clock.now += 45_000;
  assert.equal(keep.untilDue(), 0);
  assert.equal(await keep.accessToken(), "access-1");
  assert.deepEqual(provider.redeemed, ["refresh-0"]);
  assert.equal(saved.at(-1)?.refreshToken, "refresh-1"); // rotated: the next refresh uses the new one
  clock.now += 45_000;
  assert.equal(await keep.accessToken(), "access-2");
  assert.deepEqual(provider.redeemed, ["refresh-0", "refresh-1"]);
});

test("concurrent callers share one refresh (single flight)", async () => {
  const provider = new Provider();
  provider.hold = true;
  const { keep } = keeper(provider, { refreshAt: clock.now });
  const tokens = Promise.all([keep.accessToken(), keep.accessToken(), keep.refresh(), keep.refresh("access-0")]);
  await Promise.resolve();
  provider.pending.forEach((resolve) => resolve());
  assert.deepEqual(await tokens, ["access-1", "access-1", "access-1", "access-1"]);
  assert.deepEqual(provider.redeemed, ["refresh-0"]);
});

test("an UNAUTHENTICATED answer refreshes and retries the call once", async () => {
  const provider = new Provider();
  const { keep } = keeper(provider);
  const sent: string[] = [];
  const answer = await keep.call(async (token) => {
    sent.push(token);
    if (token === "access-0") throw UNAUTHENTICATED;
    return "answer";
  }, (problem) => problem === UNAUTHENTICATED);
  assert.equal(answer, "answer");
  assert.deepEqual(sent, ["access-0", "access-1"]);
  // Refused again with the new token: no second retry, no loop.
  await assert.rejects(
    keep.call(async () => { throw UNAUTHENTICATED; }, (problem) => problem === UNAUTHENTICATED),
    UNAUTHENTICATED,
  );
  assert.deepEqual(provider.redeemed, ["refresh-0", "refresh-1"]);
});

test("calls refused with a token another call already replaced do not refresh again", async () => {
  const provider = new Provider();
  const { keep } = keeper(provider);
  const refused = (problem: unknown): boolean => problem === UNAUTHENTICATED;
  let first = true;
  const send = async (token: string): Promise<string> => {
    if (token === "access-0") {
      if (first) {
        first = false;
        await keep.refresh("access-0"); // another call refreshed meanwhile
      }
      throw UNAUTHENTICATED;
    }
    return token;
  };
  assert.equal(await keep.call(send, refused), "access-1");
  assert.deepEqual(provider.redeemed, ["refresh-0"]);
});

test("other errors are not retried", async () => {
  const provider = new Provider();
  const { keep } = keeper(provider);
  const other = new Error("not found");
  let calls = 0;
  await assert.rejects(keep.call(async () => { calls++; throw other; }, (p) => p === UNAUTHENTICATED), other);
  assert.equal(calls, 1);
  assert.deepEqual(provider.redeemed, []);
});

test("a refused refresh token ends the session once, and the call fails with the service's answer", async () => {
  const provider = new Provider();
  provider.refuse = new SessionEnded("invalid_grant");
  const { keep, ended, saved } = keeper(provider);
  await assert.rejects(
    keep.call(async () => { throw UNAUTHENTICATED; }, (p) => p === UNAUTHENTICATED),
    UNAUTHENTICATED,
  );
  assert.equal(ended.length, 1);
  assert.equal(ended[0]?.message, "invalid_grant");
  await assert.rejects(keep.accessToken(), SessionEnded);
  await assert.rejects(keep.refresh(), SessionEnded);
  assert.equal(ended.length, 1);
  assert.deepEqual(saved, []);
  assert.deepEqual(provider.redeemed, ["refresh-0"]);
});

test("without a refresh token the session ends when the service refuses the token", async () => {
  const provider = new Provider();
  const { keep, ended } = keeper(provider, { refreshToken: null });
  await assert.rejects(keep.call(async () => { throw UNAUTHENTICATED; }, (p) => p === UNAUTHENTICATED), UNAUTHENTICATED);
  assert.equal(ended.length, 1);
  assert.deepEqual(provider.redeemed, []);
});

test("an unreachable provider keeps a still valid token, fails once it expired, and does not end the session", async () => {
  const provider = new Provider();
  provider.unreachable = true;
  const { keep, ended } = keeper(provider);
  clock.now += 50_000; // due (45 s), still valid (60 s)
  assert.equal(await keep.accessToken(), "access-0");
  clock.now += 20_000; // expired
  await assert.rejects(keep.accessToken(), TypeError);
  assert.equal(ended.length, 0);
  provider.unreachable = false; // back: the same refresh token still works
  assert.equal(await keep.accessToken(), "access-1");
  assert.deepEqual(provider.redeemed, ["refresh-0", "refresh-0", "refresh-0"]);
});

test("without a refresh token the access token serves until it expires, then the session ends", async () => {
  const provider = new Provider();
  const { keep, ended } = keeper(provider, { refreshToken: null });
  clock.now += 50_000; // past refreshAt, before expiry
  assert.equal(keep.untilDue(), 10_000);
  assert.equal(await keep.accessToken(), "access-0");
  clock.now += 10_000;
  await assert.rejects(keep.accessToken(), SessionEnded);
  assert.equal(ended.length, 1);
  assert.deepEqual(provider.redeemed, []);
});
