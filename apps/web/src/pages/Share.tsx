// Share knowledge: a contribution form (an article in Markdown or a link), submitted for
// review at once; then the contributor follows the review of their items, by status.
import { catalog } from "@agora/clients";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import type { MessageKey } from "../i18n/en";
import { useI18n } from "../i18n";
import { href } from "../router";
import { Empty, Failure, MoreButton, Show, useAction, useLoad, usePaged } from "../states";

const S = catalog.ItemStatus;
const FOLLOWED = [S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED, S.PUBLISHED, S.REJECTED, S.DRAFT] as const;

export function statusLabel(status: catalog.ItemStatus): MessageKey {
  return `status.${status}` as MessageKey;
}

interface Fields {
  title: string;
  summary: string;
  language: string;
  minutes: string;
  theme: string;
  skill: string;
  text: string;
}

function ShareForm({ onShared }: { onShared: (item: catalog.Item) => void }) {
  const { t, language } = useI18n();
  const { clients } = useApp();
  const [taxonomy, reloadTaxonomy] = useLoad(
    () => Promise.all([clients.catalog.listThemes({}), clients.catalog.listSkills({})]),
    [],
  );
  const [kind, setKind] = useState<"wiki" | "link">("wiki");
  const [fields, setFields] = useState<Fields>({ title: "", summary: "", language, minutes: "5", theme: "", skill: "", text: "" });
  const { busy, failure, run } = useAction();
  const field = (name: keyof Fields) => ({
    id: `share-${name}`,
    value: fields[name],
    onInput: (event: { currentTarget: { value: string } }) => setFields({ ...fields, [name]: event.currentTarget.value }),
  });
  const submit = run(async () => {
    const content =
      kind === "wiki"
        ? { case: "wiki" as const, value: { markdown: fields.text } }
        : { case: "link" as const, value: { url: fields.text.trim() } };
    const created = await clients.catalog.createItem({
      item: {
        title: fields.title.trim(),
        summary: fields.summary.trim(),
        language: fields.language,
        estimatedMinutes: Number(fields.minutes) || 0,
        themeIds: fields.theme ? [fields.theme] : [],
        skills: fields.skill ? [{ skillId: fields.skill, level: 2 }] : [],
        content,
      },
    });
    const itemId = created.item?.itemId ?? "";
    const submitted = await clients.catalog.submitItem({ itemId });
    if (submitted.item) onShared(submitted.item);
    setFields({ ...fields, title: "", summary: "", text: "" });
  });
  return (
    <form class="card form" onSubmit={submit}>
      <fieldset class="inline">
        <legend>{t("share.kind")}</legend>
        <label class="choice"><input type="radio" name="kind" checked={kind === "wiki"} onChange={() => setKind("wiki")} />{t("type.4")}</label>
        <label class="choice"><input type="radio" name="kind" checked={kind === "link"} onChange={() => setKind("link")} />{t("type.5")}</label>
      </fieldset>
      <label for="share-title">{t("share.titleField")}</label>
      <input {...field("title")} required maxLength={200} />
      <label for="share-summary">{t("share.summary")}</label>
      <input {...field("summary")} required maxLength={500} />
      <label for="share-text">{kind === "wiki" ? t("share.text") : t("share.url")}</label>
      {kind === "wiki" ? <textarea {...field("text")} rows={6} required /> : <input {...field("text")} type="url" required />}
      <div class="row">
        <div class="field">
          <label for="share-language">{t("search.language")}</label>
          <select {...field("language")} onChange={(e) => setFields({ ...fields, language: e.currentTarget.value })}>
            <option value="fr">{t("language.fr")}</option>
            <option value="en">{t("language.en")}</option>
          </select>
        </div>
        <div class="field">
          <label for="share-minutes">{t("share.minutes")}</label>
          <input {...field("minutes")} type="number" min={1} max={600} />
        </div>
      </div>
      <Show loaded={taxonomy} retry={reloadTaxonomy}>
        {([{ themes }, { skills }]) => (
          <div class="row">
            <div class="field">
              <label for="share-theme">{t("search.theme")}</label>
              <select {...field("theme")} onChange={(e) => setFields({ ...fields, theme: e.currentTarget.value })}>
                <option value="">{t("search.any")}</option>
                {themes.map((theme) => <option key={theme.themeId} value={theme.themeId}>{theme.name}</option>)}
              </select>
            </div>
            <div class="field">
              <label for="share-skill">{t("ask.skill")}</label>
              <select {...field("skill")} onChange={(e) => setFields({ ...fields, skill: e.currentTarget.value })}>
                <option value="">{t("search.any")}</option>
                {skills.map((skill) => <option key={skill.skillId} value={skill.skillId}>{skill.name}</option>)}
              </select>
            </div>
          </div>
        )}
      </Show>
      <Failure message={failure} />
      <button type="submit" class="button button-primary" disabled={busy}>{t("share.submit")}</button>
    </form>
  );
}

function MyContributions({ status, round }: { status: catalog.ItemStatus; round: number }) {
  const { t } = useI18n();
  const { clients, session } = useApp();
  const { loaded, reload, more, moreError } = usePaged<catalog.Item>(async (pageToken) => {
    const answer = await clients.catalog.searchItems({ status, pageSize: 20, pageToken, sort: catalog.SearchSort.RECENCY });
    // Published lists every author's items: keep the caller's own.
    return { items: answer.items.filter((item) => item.authorId === session.subject), next: answer.nextPageToken };
  }, [status, round]);
  return (
    <Show loaded={loaded} retry={reload}>
      {(page) => (
        <>
          {page.items.length === 0 ? <Empty>{t("share.none")}</Empty> : (
            <ul class="cards comments" data-testid="contributions">
              {page.items.map((item) => (
                <li key={item.itemId} class="card">
                  <h3><a href={href({ page: "item", itemId: item.itemId })}>{item.title}</a></h3>
                  <p class="meta">
                    <span class="tag" data-testid="status">{t(statusLabel(item.status))}</span>
                    {item.reviewerId && <span>{t("share.reviewer", { person: item.reviewerId })}</span>}
                  </p>
                  {item.reviewComment && <p class="muted">{t("share.comment", { comment: item.reviewComment })}</p>}
                </li>
              ))}
            </ul>
          )}
          <MoreButton page={page} more={more} error={moreError} />
        </>
      )}
    </Show>
  );
}

export function Share() {
  const { t } = useI18n();
  const [status, setStatus] = useState<catalog.ItemStatus>(S.SUBMITTED);
  const [round, setRound] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <>
      <h1>{t("share.title")}</h1>
      <p class="muted">{t("share.lead")}</p>
      {notice !== null && <p role="status" class="state result-ok">{notice}</p>}
      <ShareForm onShared={(item) => {
        setNotice(t("share.done", { title: item.title }));
        setStatus(S.SUBMITTED);
        setRound((n) => n + 1);
      }} />
      <section aria-labelledby="contributions-title">
        <h2 id="contributions-title">{t("share.mine")}</h2>
        <div class="field narrow">
          <label for="share-status">{t("share.status")}</label>
          <select id="share-status" value={status} onChange={(e) => setStatus(Number(e.currentTarget.value) as catalog.ItemStatus)}>
            {FOLLOWED.map((s) => <option key={s} value={s}>{t(statusLabel(s))}</option>)}
          </select>
        </div>
        <MyContributions status={status} round={round} />
      </section>
    </>
  );
}
