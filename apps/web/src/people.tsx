// Picking a person by name (the people directory's SearchPeople): matches appear as the
// person types (from two letters, after a short pause); picking one hands it over.
import { community } from "@agora/clients";
import { useEffect, useState } from "preact/hooks";

import { useApp } from "./context";
import { useI18n } from "./i18n";
import { Empty, ErrorState, Loading, type Loaded } from "./states";

const PAUSE_MS = 250;
const MIN_LETTERS = 2;

export function PersonSearch({ id, label, onPick }: { id: string; label: string; onPick: (person: community.Person) => void }) {
  const { t } = useI18n();
  const { clients } = useApp();
  const [query, setQuery] = useState("");
  const [round, setRound] = useState(0);
  const [found, setFound] = useState<Loaded<community.Person[]> | null>(null);
  useEffect(() => {
    const wanted = query.trim();
    if (wanted.length < MIN_LETTERS) {
      setFound(null);
      return;
    }
    let current = true;
    const timer = window.setTimeout(() => {
      setFound({ status: "loading" });
      clients.community.searchPeople({ query: wanted, pageSize: 8 }).then(
        (answer) => current && setFound({ status: "ready", value: answer.people }),
        (error: unknown) => current && setFound({ status: "error", error }),
      );
    }, PAUSE_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [query, round, clients]);
  const pick = (person: community.Person): void => {
    onPick(person);
    setQuery("");
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type="search" autoComplete="off" value={query} aria-describedby={`${id}-hint`} onInput={(e) => setQuery(e.currentTarget.value)} />
      <p id={`${id}-hint`} class="muted">{t("people.hint")}</p>
      {found?.status === "loading" && <Loading />}
      {found?.status === "error" && <ErrorState error={found.error} retry={() => setRound((n) => n + 1)} />}
      {found?.status === "ready" && (found.value.length === 0 ? <Empty>{t("people.none")}</Empty> : (
        <ul class="people-matches" aria-label={t("people.matches")} data-testid={`${id}-matches`}>
          {found.value.map((person) => (
            <li key={person.personId}>
              <button type="button" class="button" onClick={() => pick(person)}>
                {person.displayName} <span class="muted">({person.personId})</span>
              </button>
            </li>
          ))}
        </ul>
      ))}
    </div>
  );
}
