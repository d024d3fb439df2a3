// Runs in headless Chromium (tests/system_connect/test_browser.py): calls the catalog
// service through Connect with the generated client, as the web app does, and leaves
// what it saw in `window.agoraResult` for the test to compare with native gRPC.
import { Code, ConnectError } from "@connectrpc/connect";

import { createAgoraClients } from "../../src/index.js";

declare global {
  interface Window {
    agoraResult?: unknown;
  }
}

interface SeenError {
  code: string;
  message: string;
  details: { type: string; value: string }[];
}

function seen(error: unknown): SeenError {
  const connectError = ConnectError.from(error);
  return {
    code: Code[connectError.code],
    message: connectError.rawMessage,
    details: connectError.details.map((detail) =>
      "type" in detail
        ? { type: detail.type, value: btoa(String.fromCharCode(...detail.value)) }
        : { type: detail.desc.typeName, value: "" },
    ),
  };
}

async function outcome<T>(call: () => Promise<T>): Promise<{ ok: T } | { error: SeenError }> {
  try {
    return { ok: await call() };
  } catch (error) {
    return { error: seen(error) };
  }
}

async function run(): Promise<void> {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const url = params.get("connect") ?? "";
  const token = params.get("token") ?? "";
  const binary = params.get("binary") === "1";
  const endpoints = { catalog: url, community: url, gamification: url, notifications: url };
  const agora = createAgoraClients(endpoints, () => token, { useBinaryFormat: binary });
  const anonymous = createAgoraClients(endpoints, () => "", { useBinaryFormat: binary });
  const themes = await outcome(async () => {
    const response = await agora.catalog.listThemes({});
    return response.themes.map((theme) => ({ themeId: theme.themeId, name: theme.name }));
  });
  const invalid = await outcome(() => agora.catalog.listPaths({ pageSize: -1 }));
  const unauthenticated = await outcome(() => anonymous.catalog.listThemes({}));
  window.agoraResult = { origin: window.location.origin, themes, invalid, unauthenticated };
}

run().catch((error: unknown) => {
  window.agoraResult = { failure: String(error) };
});
