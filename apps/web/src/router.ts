// Hash routes (#/, #/search?q=, #/item/<id>, #/inbox): a static server needs no rewrite rule.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "home" }
  | { page: "search"; query: string }
  | { page: "item"; itemId: string }
  | { page: "inbox" }
  | { page: "reviews" }
  | { page: "team" };

export function parseRoute(hash: string): Route {
  const [path = "", search = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "search") return { page: "search", query: new URLSearchParams(search).get("q") ?? "" };
  if (parts[0] === "item" && parts[1]) return { page: "item", itemId: decodeURIComponent(parts[1]) };
  if (parts[0] === "inbox") return { page: "inbox" };
  if (parts[0] === "reviews") return { page: "reviews" };
  if (parts[0] === "team") return { page: "team" };
  return { page: "home" };
}

export function href(route: Route): string {
  switch (route.page) {
    case "home":
      return "#/";
    case "search":
      return route.query ? `#/search?q=${encodeURIComponent(route.query)}` : "#/search";
    case "item":
      return `#/item/${encodeURIComponent(route.itemId)}`;
    case "inbox":
      return "#/inbox";
    case "reviews":
      return "#/reviews";
    case "team":
      return "#/team";
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
