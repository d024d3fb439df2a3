// Hash routes (#/, #/search?q=, #/item/<id>, #/inbox, …): a static server needs no rewrite rule.
import { useEffect, useState } from "preact/hooks";

/** Pages without a parameter. */
export const SIMPLE_PAGES = [
  "home", "inbox", "reviews", "team", "ask", "questions", "share", "leaderboard",
  "badges", "challenges", "preferences", "paths", "spaces", "skills",
] as const;
export type SimplePage = (typeof SIMPLE_PAGES)[number];

export type Route =
  | { page: SimplePage }
  | { page: "search"; query: string }
  | { page: "item"; itemId: string }
  | { page: "path"; pathId: string }
  | { page: "space"; spaceId: string }
  | { page: "question"; questionId: string };

export function parseRoute(hash: string): Route {
  const [path = "", search = ""] = hash.replace(/^#/, "").split("?");
  const [first = "", second] = path.split("/").filter(Boolean);
  if (first === "search") return { page: "search", query: new URLSearchParams(search).get("q") ?? "" };
  if (second !== undefined) {
    const id = decodeURIComponent(second);
    if (first === "item") return { page: "item", itemId: id };
    if (first === "path") return { page: "path", pathId: id };
    if (first === "space") return { page: "space", spaceId: id };
    if (first === "question") return { page: "question", questionId: id };
  }
  const simple = SIMPLE_PAGES.find((page) => page === first);
  return { page: simple ?? "home" };
}

export function href(route: Route): string {
  switch (route.page) {
    case "home":
      return "#/";
    case "search":
      return route.query ? `#/search?q=${encodeURIComponent(route.query)}` : "#/search";
    case "item":
      return `#/item/${encodeURIComponent(route.itemId)}`;
    case "path":
      return `#/path/${encodeURIComponent(route.pathId)}`;
    case "space":
      return `#/space/${encodeURIComponent(route.spaceId)}`;
    case "question":
      return `#/question/${encodeURIComponent(route.questionId)}`;
    default:
      return `#/${route.page}`;
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const changed = (): void => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}
