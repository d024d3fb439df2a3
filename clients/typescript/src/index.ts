// Typed Connect clients of Agora's services, for the web app and integrators.
//
// Messages and service descriptors under ./gen are generated from proto/ by
// `make proto-ts` (protoc-gen-es); never edit them by hand. This module adds one
// helper: clients that send the caller's bearer token on every call.
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";

import { CatalogService } from "./gen/agora/catalog/v1/catalog_pb.js";
import { CommunityService } from "./gen/agora/community/v1/community_pb.js";
import { PrivacyService } from "./gen/agora/community/v1/privacy_pb.js";
import { GamificationService } from "./gen/agora/gamification/v1/gamification_pb.js";
import { NotificationsService } from "./gen/agora/notifications/v1/notifications_pb.js";

export * as admin from "./gen/agora/admin/v1/admin_pb.js";
export * as catalog from "./gen/agora/catalog/v1/catalog_pb.js";
export * as community from "./gen/agora/community/v1/community_pb.js";
export * as privacy from "./gen/agora/community/v1/privacy_pb.js";
export * as gamification from "./gen/agora/gamification/v1/gamification_pb.js";
export * as notifications from "./gen/agora/notifications/v1/notifications_pb.js";

/** Where each service's Connect endpoint is (CONNECT_PORT, or the ingress path). */
export interface AgoraEndpoints {
  catalog: string;
  community: string;
  gamification: string;
  notifications: string;
}

/** Returns the caller's current access token (refreshed by the app's OIDC library). */
export type TokenSource = () => string | Promise<string>;

/** One client per service, all speaking Connect JSON (binary with `useBinaryFormat`). */
export interface AgoraClients {
  catalog: Client<typeof CatalogService>;
  community: Client<typeof CommunityService>;
  privacy: Client<typeof PrivacyService>;
  gamification: Client<typeof GamificationService>;
  notifications: Client<typeof NotificationsService>;
}

/** An interceptor adding `Authorization: Bearer <token>` to every request. */
export function bearerToken(token: TokenSource): Interceptor {
  return (next) => async (request) => {
    request.header.set("Authorization", `Bearer ${await token()}`);
    return next(request);
  };
}

/** `interceptors` run inside the bearer token's (e.g. a retry after refreshing the token). */
export interface AgoraClientOptions {
  useBinaryFormat?: boolean;
  interceptors?: Interceptor[];
}

/** A Connect transport to one service's endpoint, authenticated with `token`. */
export function agoraTransport(baseUrl: string, token: TokenSource, options: AgoraClientOptions = {}): Transport {
  return createConnectTransport({
    baseUrl,
    useBinaryFormat: options.useBinaryFormat ?? false,
    interceptors: [bearerToken(token), ...(options.interceptors ?? [])],
  });
}

/**
 * Clients of every service (the privacy API is served by community). The admin
 * OperationsService runs on every service: `createClient(admin.OperationsService,
 * agoraTransport(url, token))` for the one to operate.
 */
export function createAgoraClients(
  endpoints: AgoraEndpoints,
  token: TokenSource,
  options: AgoraClientOptions = {},
): AgoraClients {
  const transport = (url: string): Transport => agoraTransport(url, token, options);
  return {
    catalog: createClient(CatalogService, transport(endpoints.catalog)),
    community: createClient(CommunityService, transport(endpoints.community)),
    privacy: createClient(PrivacyService, transport(endpoints.community)),
    gamification: createClient(GamificationService, transport(endpoints.gamification)),
    notifications: createClient(NotificationsService, transport(endpoints.notifications)),
  };
}
