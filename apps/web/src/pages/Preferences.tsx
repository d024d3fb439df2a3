// Preferences: language and time zone (the notifications profile; the time zone also
// closes gamification's days), channels for every category, quiet hours, and whether
// the person appears in the leaderboards (gamification's person settings, read back).
import { notifications } from "@agora/clients";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { describeError } from "../errors";
import { useI18n, type Language } from "../i18n";
import { Show, useLoad } from "../states";

const N = notifications;
const CHANNELS = [
  [N.Channel.INBOX, "prefs.inbox"],
  [N.Channel.EMAIL, "prefs.email"],
] as const;
const ZONES = ["Europe/Paris", "Europe/London", "Europe/Rome", "Europe/Berlin", "America/Montreal", "America/New_York", "Asia/Singapore", "UTC"];

interface Form {
  locale: string;
  timeZone: string;
  toggles: Record<number, notifications.Toggle>;
  quietStart: string;
  quietEnd: string;
  leaderboardOptOut: boolean;
}

function formOf(profile: notifications.Profile | undefined, layer: notifications.PreferenceLayer | undefined, optOut: boolean): Form {
  const every = layer?.categories.find((c) => c.category === "*");
  const toggles: Record<number, notifications.Toggle> = {};
  for (const [channel] of CHANNELS) {
    toggles[channel] = every?.channels.find((s) => s.channel === channel)?.enabled ?? N.Toggle.UNSPECIFIED;
  }
  return {
    locale: profile?.locale ?? "",
    timeZone: profile?.timeZone ?? "",
    toggles,
    quietStart: layer?.quietHours?.start ?? "",
    quietEnd: layer?.quietHours?.end ?? "",
    leaderboardOptOut: optOut,
  };
}

function Editor({ initial, profile, layer }: { initial: Form; profile: notifications.Profile | undefined; layer: notifications.PreferenceLayer | undefined }) {
  const { t, setLanguage } = useI18n();
  const { clients, session } = useApp();
  const [form, setForm] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      const others = layer?.categories.filter((c) => c.category !== "*") ?? [];
      const every = CHANNELS.map(([channel]) => ({ channel, enabled: form.toggles[channel] ?? N.Toggle.UNSPECIFIED }))
        .filter((setting) => setting.enabled !== N.Toggle.UNSPECIFIED);
      await Promise.all([
        clients.notifications.updateMyProfile({
          profile: {
            personId: session.subject,
            email: profile?.email ?? "",
            nudgeCadence: profile?.nudgeCadence,
            nudgeHour: profile?.nudgeHour,
            nudgeWeekday: profile?.nudgeWeekday,
            locale: form.locale,
            timeZone: form.timeZone,
          },
        }),
        clients.notifications.setPreferences({
          layer: {
            scope: N.Scope.PERSON,
            scopeId: session.subject,
            categories: [...others, ...(every.length ? [{ category: "*", channels: every }] : [])],
            quietHours: { start: form.quietStart, end: form.quietEnd },
          },
        }),
        clients.gamification.putPersonSettings({ timeZone: form.timeZone, leaderboardOptOut: form.leaderboardOptOut }),
      ]);
      if (form.locale === "en" || form.locale === "fr") setLanguage(form.locale as Language);
      setMessage({ ok: true, text: t("prefs.saved") });
    } catch (error) {
      setMessage({ ok: false, text: describeError(error, t) });
    } finally {
      setBusy(false);
    }
  };
  const toggle = (channel: number, value: string): void =>
    setForm({ ...form, toggles: { ...form.toggles, [channel]: Number(value) as notifications.Toggle } });
  return (
    <form class="card form" onSubmit={(event) => void submit(event)}>
      <div class="row">
        <div class="field">
          <label for="prefs-locale">{t("nav.language")}</label>
          <select id="prefs-locale" value={form.locale} onChange={(e) => setForm({ ...form, locale: e.currentTarget.value })}>
            <option value="fr">{t("language.fr")}</option>
            <option value="en">{t("language.en")}</option>
          </select>
        </div>
        <div class="field">
          <label for="prefs-zone">{t("prefs.timeZone")}</label>
          <select id="prefs-zone" value={form.timeZone} onChange={(e) => setForm({ ...form, timeZone: e.currentTarget.value })}>
            {[...new Set([form.timeZone, ...ZONES])].filter(Boolean).map((zone) => <option key={zone} value={zone}>{zone}</option>)}
          </select>
        </div>
      </div>
      <fieldset>
        <legend>{t("prefs.channels")}</legend>
        {CHANNELS.map(([channel, key]) => (
          <div class="field" key={channel}>
            <label for={`prefs-channel-${channel}`}>{t(key)}</label>
            <select id={`prefs-channel-${channel}`} value={form.toggles[channel]} onChange={(e) => toggle(channel, e.currentTarget.value)}>
              <option value={N.Toggle.UNSPECIFIED}>{t("prefs.inherit")}</option>
              <option value={N.Toggle.ON}>{t("prefs.on")}</option>
              <option value={N.Toggle.OFF}>{t("prefs.off")}</option>
            </select>
          </div>
        ))}
      </fieldset>
      <fieldset>
        <legend>{t("prefs.quiet")}</legend>
        <div class="row">
          <div class="field">
            <label for="prefs-quiet-start">{t("prefs.quietStart")}</label>
            <input id="prefs-quiet-start" type="time" value={form.quietStart} onInput={(e) => setForm({ ...form, quietStart: e.currentTarget.value })} />
          </div>
          <div class="field">
            <label for="prefs-quiet-end">{t("prefs.quietEnd")}</label>
            <input id="prefs-quiet-end" type="time" value={form.quietEnd} onInput={(e) => setForm({ ...form, quietEnd: e.currentTarget.value })} />
          </div>
        </div>
      </fieldset>
      <fieldset>
        <legend>{t("board.title")}</legend>
        <label class="choice">
          <input type="checkbox" checked={form.leaderboardOptOut} onChange={(e) => setForm({ ...form, leaderboardOptOut: e.currentTarget.checked })} />
          {t("board.optOut")}
        </label>
      </fieldset>
      {message !== null && <p role={message.ok ? "status" : "alert"} class={message.ok ? "result-ok" : "state state-error"}>{message.text}</p>}
      <button type="submit" class="button button-primary" disabled={busy}>{t("prefs.save")}</button>
    </form>
  );
}

export function Preferences() {
  const { t } = useI18n();
  const { clients, session } = useApp();
  const [loaded, reload] = useLoad(
    () => Promise.all([
      clients.notifications.getMyProfile({}),
      clients.notifications.getPreferences({ scope: N.Scope.PERSON, scopeId: session.subject }),
      clients.gamification.getPersonSettings({}),
    ]),
    [session.subject],
  );
  return (
    <>
      <h1>{t("prefs.title")}</h1>
      <Show loaded={loaded} retry={reload}>
        {([{ profile }, { layer }, { settings }]) => (
          <Editor initial={formOf(profile, layer, settings?.leaderboardOptOut ?? false)} profile={profile} layer={layer} />
        )}
      </Show>
    </>
  );
}
