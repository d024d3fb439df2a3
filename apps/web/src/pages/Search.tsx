// Catalogue search: as-you-type (debounced) with type, language and theme filters, paged.
import { catalog } from "@agora/clients";
import { useEffect, useRef, useState } from "preact/hooks";

import { useApp } from "../context";
import type { MessageKey } from "../i18n/en";
import { useI18n } from "../i18n";
import { href } from "../router";
import { Empty, ErrorState, Loading, Show, useLoad } from "../states";

const TYPES = [2, 3, 4, 5, 6, 7, 1] as const;
const DEBOUNCE_MS = 250;

interface Results {
  items: catalog.Item[];
  next: string;
}

export function typeLabel(type: catalog.KnowledgeType): MessageKey {
  return `type.${type}` as MessageKey;
}

export function Search({ initialQuery }: { initialQuery: string }) {
  const { t } = useI18n();
  const { clients } = useApp();
  const [query, setQuery] = useState(initialQuery);
  const [debounced, setDebounced] = useState(initialQuery);
  const [type, setType] = useState(0);
  const [language, setLanguage] = useState("");
  const [themeId, setThemeId] = useState("");
  const [results, setResults] = useState<Results | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [more, setMore] = useState(false);
  const round = useRef(0);
  const [themes, reloadThemes] = useLoad(() => clients.catalog.listThemes({}), []);

  useEffect(() => {
    const timer = setTimeout(() => setDebounced(query.trim()), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [query]);

  const request = (pageToken: string) =>
    clients.catalog.searchItems({
      query: debounced,
      types: type ? [type] : [],
      language,
      themeId,
      pageSize: 20,
      pageToken,
    });

  const run = (): void => {
    const mine = ++round.current; // a slower earlier answer never replaces a newer one
    setResults(null);
    setError(null);
    window.history.replaceState(null, "", href({ page: "search", query: debounced }));
    request("").then(
      (answer) => mine === round.current && setResults({ items: answer.items, next: answer.nextPageToken }),
      (failure: unknown) => mine === round.current && setError(failure),
    );
  };
  useEffect(run, [debounced, type, language, themeId]);

  const loadMore = (): void => {
    if (results === null) return;
    setMore(true);
    request(results.next).then(
      (answer) => setResults({ items: [...results.items, ...answer.items], next: answer.nextPageToken }),
      setError,
    ).finally(() => setMore(false));
  };

  return (
    <>
      <h1>{t("search.title")}</h1>
      <form class="filters" role="search" onSubmit={(event) => { event.preventDefault(); setDebounced(query.trim()); }}>
        <div class="field field-wide">
          <label for="search-query">{t("search.query")}</label>
          <input id="search-query" type="search" value={query} placeholder={t("search.placeholder")} autoComplete="off"
            onInput={(event) => setQuery(event.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="search-type">{t("search.type")}</label>
          <select id="search-type" value={type} onChange={(event) => setType(Number(event.currentTarget.value))}>
            <option value={0}>{t("search.any")}</option>
            {TYPES.map((value) => <option key={value} value={value}>{t(typeLabel(value))}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="search-language">{t("search.language")}</label>
          <select id="search-language" value={language} onChange={(event) => setLanguage(event.currentTarget.value)}>
            <option value="">{t("search.any")}</option>
            <option value="fr">{t("language.fr")}</option>
            <option value="en">{t("language.en")}</option>
          </select>
        </div>
        <div class="field">
          <label for="search-theme">{t("search.theme")}</label>
          <Show loaded={themes} retry={reloadThemes}>
            {({ themes: list }) => (
              <select id="search-theme" value={themeId} onChange={(event) => setThemeId(event.currentTarget.value)}>
                <option value="">{t("search.any")}</option>
                {list.map((theme) => <option key={theme.themeId} value={theme.themeId}>{theme.name}</option>)}
              </select>
            )}
          </Show>
        </div>
      </form>
      <div aria-live="polite">
        {error !== null ? (
          <ErrorState error={error} retry={run} />
        ) : results === null ? (
          <Loading />
        ) : results.items.length === 0 ? (
          <Empty>{t("search.empty")}</Empty>
        ) : (
          <ul class="cards" data-testid="results">
            {results.items.map((item) => (
              <li key={item.itemId} class="card">
                <h2 class="card-title"><a href={href({ page: "item", itemId: item.itemId })}>{item.title}</a></h2>
                <p class="meta">
                  <span class="tag">{t(typeLabel(item.type))}</span>
                  <span>{item.language.toUpperCase()}</span>
                  {item.estimatedMinutes > 0 && <span>{t("search.minutes", { count: item.estimatedMinutes })}</span>}
                </p>
                <p class="muted">{item.summary}</p>
              </li>
            ))}
          </ul>
        )}
        {results?.next && (
          <button type="button" class="button" disabled={more} onClick={loadMore}>{t("search.more")}</button>
        )}
      </div>
    </>
  );
}
