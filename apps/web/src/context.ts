// What every page reads: the signed-in person, the service clients, the unread count.
import type { AgoraClients } from "@agora/clients";
import { createContext } from "preact";
import { useContext } from "preact/hooks";

import type { Session } from "./auth";

export interface AppContextValue {
  session: Session;
  clients: AgoraClients;
  unread: number | null;
  setUnread: (update: (count: number) => number) => void;
  refreshUnread: () => void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (value === null) throw new Error("useApp outside a signed-in app");
  return value;
}
