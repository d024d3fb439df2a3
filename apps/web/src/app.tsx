// The shell: configuration, sign-in, header with navigation and unread count, pages.
import { createAgoraClients } from "@agora/clients";
import { lazy, Suspense } from "preact/compat";
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";

import { beginSignIn, completeSignIn, isCallback, signOut, storedSession, type Session } from "./auth";
import { loadConfig, type WebConfig } from "./config";
import { AppContext, type AppContextValue } from "./context";
import { I18nContext, LANGUAGES, initialLanguage, saveLanguage, translator, useI18n, type Language } from "./i18n";
import { Home } from "./pages/Home";
import { Search } from "./pages/Search";
import { href, parseRoute, useRoute, type Route, type SimplePage } from "./router";
import { refreshingBearer, useTokenKeeper } from "./session";
import { Loading } from "./states";

// The home page and the catalogue (which the home uses) are in the app's own chunk (the
// landing page: no extra round trip, no placeholder shifting it). Every other page is its own chunk, loaded on first visit; the
// one in the address bar starts loading with the app, beside config.json.
const CHUNKS = {
  ask: () => import("./pages/Ask"),
  badges: () => import("./pages/Badges"),
  challenges: () => import("./pages/Challenges"),
  home: () => Promise.resolve(),
  inbox: () => import("./pages/Inbox"),
  item: () => import("./pages/Item"),
  leaderboard: () => import("./pages/Leaderboard"),
  paths: () => import("./pages/Paths"),
  path: () => import("./pages/Paths"),
  preferences: () => import("./pages/Preferences"),
  question: () => import("./pages/Question"),
  questions: () => import("./pages/Questions"),
  reviews: () => import("./pages/Reviews"),
  search: () => Promise.resolve(),
  share: () => import("./pages/Share"),
  skills: () => import("./pages/Skills"),
  spaces: () => import("./pages/Spaces"),
  space: () => import("./pages/Spaces"),
  team: () => import("./pages/Team"),
} satisfies Record<Route["page"], () => Promise<unknown>>;
if (storedSession() !== null) void CHUNKS[parseRoute(window.location.hash).page]().catch(() => undefined);

const Ask = lazy(() => CHUNKS.ask().then((m) => m.Ask));
const Badges = lazy(() => CHUNKS.badges().then((m) => m.Badges));
const Challenges = lazy(() => CHUNKS.challenges().then((m) => m.Challenges));
const Inbox = lazy(() => CHUNKS.inbox().then((m) => m.Inbox));
const ItemPage = lazy(() => CHUNKS.item().then((m) => m.ItemPage));
const Leaderboard = lazy(() => CHUNKS.leaderboard().then((m) => m.Leaderboard));
const Paths = lazy(() => CHUNKS.paths().then((m) => m.Paths));
const PathPage = lazy(() => CHUNKS.path().then((m) => m.PathPage));
const Preferences = lazy(() => CHUNKS.preferences().then((m) => m.Preferences));
const QuestionPage = lazy(() => CHUNKS.question().then((m) => m.QuestionPage));
const Questions = lazy(() => CHUNKS.questions().then((m) => m.Questions));
const Reviews = lazy(() => CHUNKS.reviews().then((m) => m.Reviews));
const Share = lazy(() => CHUNKS.share().then((m) => m.Share));
const Skills = lazy(() => CHUNKS.skills().then((m) => m.Skills));
const Spaces = lazy(() => CHUNKS.spaces().then((m) => m.Spaces));
const SpacePage = lazy(() => CHUNKS.space().then((m) => m.SpacePage));
const Team = lazy(() => CHUNKS.team().then((m) => m.Team));

const UNREAD_POLL_MS = 30_000;

function LanguagePicker() {
  const { t, language, setLanguage } = useI18n();
  return (
    <label class="language">
      <span class="visually-hidden">{t("nav.language")}</span>
      <select value={language} onChange={(event) => setLanguage(event.currentTarget.value as Language)}>
        {LANGUAGES.map((code) => (
          <option key={code} value={code}>
            {code.toUpperCase()}
          </option>
        ))}
      </select>
    </label>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "home": return <Home />;
    case "search": return <Search initialQuery={route.query} />;
    case "item": return <ItemPage itemId={route.itemId} />;
    case "inbox": return <Inbox />;
    case "reviews": return <Reviews />;
    case "team": return <Team />;
    case "ask": return <Ask />;
    case "question": return <QuestionPage questionId={route.questionId} />;
    case "questions": return <Questions />;
    case "share": return <Share />;
    case "leaderboard": return <Leaderboard />;
    case "badges": return <Badges />;
    case "challenges": return <Challenges />;
    case "preferences": return <Preferences />;
    case "paths": return <Paths />;
    case "path": return <PathPage pathId={route.pathId} />;
    case "spaces": return <Spaces />;
    case "space": return <SpacePage spaceId={route.spaceId} />;
    case "skills": return <Skills />;
  }
}

/** The secondary pages, in a disclosure menu that closes on navigation. */
function MoreMenu({ route, pages, current }: { route: Route; pages: SimplePage[]; current: (page: string) => "page" | undefined }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [route]);
  return (
    <details class="more" open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>{t("nav.more")}</summary>
      <ul>
        {pages.map((page) => (
          <li key={page}><a href={href({ page })} aria-current={current(page)}>{t(`nav.${page}` as "nav.home")}</a></li>
        ))}
      </ul>
    </details>
  );
}

const CONTRIBUTORS = ["contributor", "expert", "manager", "admin"];

function SignIn({ config, failure }: { config: WebConfig; failure: string | null }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(failure);
  const start = (): void => {
    setBusy(true);
    beginSignIn(config).catch((problem: unknown) => {
      setBusy(false);
      setError(t("error.signIn", { message: problem instanceof Error ? problem.message : String(problem) }));
    });
  };
  return (
    <main id="main" class="sign-in">
      <h1>{t("signIn.title")}</h1>
      <p class="lead">{t("signIn.lead")}</p>
      {error !== null && <p role="alert" class="state state-error">{error}</p>}
      <button type="button" class="button button-primary" onClick={start} disabled={busy}>
        {busy ? t("signIn.working") : t("signIn.button")}
      </button>
    </main>
  );
}

interface SignedInProps {
  config: WebConfig;
  session: Session;
  onSignOut: () => void;
  /** The provider refused to refresh the session (expired, revoked, reused). */
  onEnded: () => void;
}

function SignedIn({ config, session, onSignOut, onEnded }: SignedInProps) {
  const { t } = useI18n();
  const route = useRoute();
  const keeper = useTokenKeeper(config, session, onEnded);
  const clients = useMemo(
    () => createAgoraClients(config.endpoints, () => keeper.accessToken(), { interceptors: [refreshingBearer(keeper)] }),
    [config, keeper],
  );
  const [unread, setUnreadValue] = useState<number | null>(null);
  const refreshUnread = useCallback(() => {
    clients.notifications.getUnreadCount({}).then(
      (answer) => setUnreadValue(Number(answer.unread)),
      () => undefined, // the badge keeps its last value; the inbox page shows errors
    );
  }, [clients]);
  useEffect(() => {
    refreshUnread();
    const timer = setInterval(refreshUnread, UNREAD_POLL_MS);
    return () => clearInterval(timer);
  }, [refreshUnread, route.page]);
  const context: AppContextValue = {
    session,
    clients,
    unread,
    setUnread: (update) => setUnreadValue((count) => update(count ?? 0)),
    refreshUnread,
  };
  const reviewer = session.roles.some((role) => role === "expert" || role === "admin");
  const manager = session.roles.some((role) => role === "manager" || role === "admin");
  const current = (page: string): "page" | undefined => (route.page === page ? "page" : undefined);
  const secondary: SimplePage[] = [
    "paths", "spaces", "ask",
    ...(session.roles.some((role) => CONTRIBUTORS.includes(role)) ? ["share" as const] : []),
    "leaderboard", "badges", "challenges",
    ...(manager ? ["skills" as const] : []),
    "preferences",
  ];
  return (
    <AppContext.Provider value={context}>
      <a class="skip" href="#main">{t("app.skip")}</a>
      <header class="top">
        <a class="brand" href={href({ page: "home" })}>{t("app.name")}</a>
        <nav aria-label="Agora">
          <a href={href({ page: "home" })} aria-current={current("home")}>{t("nav.home")}</a>
          <a href={href({ page: "search", query: "" })} aria-current={current("search")}>{t("nav.search")}</a>
          <a href={href({ page: "inbox" })} aria-current={current("inbox")}>
            {t("nav.inbox")}
            {unread !== null && unread > 0 && (
              <span class="count" data-testid="unread" aria-label={t("nav.unread", { count: unread })}>{unread}</span>
            )}
          </a>
          {reviewer && <a href={href({ page: "reviews" })} aria-current={current("reviews")}>{t("nav.reviews")}</a>}
          {reviewer && <a href={href({ page: "questions" })} aria-current={current("questions")}>{t("nav.questions")}</a>}
          {manager && <a href={href({ page: "team" })} aria-current={current("team")}>{t("nav.team")}</a>}
          <MoreMenu route={route} pages={secondary} current={current} />
        </nav>
        <div class="tools">
          <LanguagePicker />
          <button type="button" class="button button-small" onClick={onSignOut}>{t("nav.signOut")}</button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Page route={route} />
        </Suspense>
      </main>
    </AppContext.Provider>
  );
}

type Boot =
  | { status: "loading" }
  | { status: "broken" }
  | { status: "signedOut"; config: WebConfig; failure: string | null }
  | { status: "signedIn"; config: WebConfig; session: Session };

function Root() {
  const { t } = useI18n();
  const [boot, setBoot] = useState<Boot>({ status: "loading" });
  useEffect(() => {
    loadConfig().then(
      async (config) => {
        if (isCallback()) {
          try {
            const { session } = await completeSignIn(config);
            setBoot({ status: "signedIn", config, session });
          } catch (problem) {
            window.history.replaceState(null, "", window.location.pathname);
            const message = problem instanceof Error ? problem.message : String(problem);
            setBoot({ status: "signedOut", config, failure: t("error.signIn", { message }) });
          }
          return;
        }
        const session = storedSession();
        setBoot(session ? { status: "signedIn", config, session } : { status: "signedOut", config, failure: null });
      },
      () => setBoot({ status: "broken" }),
    );
  }, []);
  switch (boot.status) {
    case "loading":
      return <main id="main"><Loading /></main>;
    case "broken":
      return <main id="main"><p role="alert" class="state state-error">{t("error.config")}</p></main>;
    case "signedOut":
      return <SignIn config={boot.config} failure={boot.failure} />;
    case "signedIn":
      return (
        <SignedIn
          config={boot.config}
          session={boot.session}
          onSignOut={() => {
            signOut(boot.config);
            setBoot({ status: "signedOut", config: boot.config, failure: null });
          }}
          onEnded={() => {
            signOut(boot.config);
            setBoot({ status: "signedOut", config: boot.config, failure: t("error.unauthenticated") });
          }}
        />
      );
  }
}

export function App() {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  useEffect(() => saveLanguage(language), [language]);
  const i18n = useMemo(() => ({ language, t: translator(language), setLanguage: setLanguageState }), [language]);
  return (
    <I18nContext.Provider value={i18n}>
      <Root />
    </I18nContext.Provider>
  );
}
