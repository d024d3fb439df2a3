// Community spaces: the caller's spaces and the open ones to discover (by name, paged),
// join and leave; a space's page with its members and the questions waiting there.
import { community } from "@agora/clients";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { describeError } from "../errors";
import { useI18n } from "../i18n";
import { href } from "../router";
import { Empty, MoreButton, Show, useLoad, usePaged } from "../states";

function SpaceList({ label, fetch, deps }: { label: string; fetch: (token: string) => Promise<{ items: community.Space[]; next: string }>; deps: unknown[] }) {
  const { t } = useI18n();
  const { loaded, reload, more, moreError } = usePaged(fetch, deps);
  return (
    <Show loaded={loaded} retry={reload}>
      {(page) =>
        page.items.length === 0 ? <Empty>{t("spaces.empty")}</Empty> : (
          <>
            <ul class="cards" aria-label={label}>
              {page.items.map((space) => (
                <li key={space.spaceId} class="card">
                  <h3><a href={href({ page: "space", spaceId: space.spaceId })}>{space.name}</a></h3>
                  <p class="meta">
                    <span>{t("spaces.members", { count: String(space.memberCount) })}</span>
                    {space.topic && <span class="tag">{space.topic}</span>}
                    {space.myRole !== community.SpaceRole.UNSPECIFIED && <span class="tag tag-ok">{t("spaces.joined")}</span>}
                  </p>
                </li>
              ))}
            </ul>
            <MoreButton page={page} more={more} error={moreError} />
          </>
        )
      }
    </Show>
  );
}

export function Spaces() {
  const { t } = useI18n();
  const { clients } = useApp();
  const [prefix, setPrefix] = useState("");
  return (
    <>
      <h1>{t("spaces.title")}</h1>
      <section aria-labelledby="spaces-mine">
        <h2 id="spaces-mine">{t("spaces.mine")}</h2>
        <SpaceList label={t("spaces.mine")} deps={[]} fetch={async (pageToken) => {
          const answer = await clients.community.listMySpaces({ pageSize: 20, pageToken });
          return { items: answer.spaces, next: answer.nextPageToken };
        }} />
      </section>
      <section aria-labelledby="spaces-discover">
        <h2 id="spaces-discover">{t("spaces.discover")}</h2>
        <div class="field narrow">
          <label for="spaces-prefix">{t("spaces.name")}</label>
          <input id="spaces-prefix" type="search" value={prefix} onInput={(e) => setPrefix(e.currentTarget.value)} />
        </div>
        <SpaceList label={t("spaces.discover")} deps={[prefix]} fetch={async (pageToken) => {
          const answer = await clients.community.discoverSpaces({ namePrefix: prefix.trim(), pageSize: 20, pageToken });
          return { items: answer.spaces, next: answer.nextPageToken };
        }} />
      </section>
    </>
  );
}

export function SpacePage({ spaceId }: { spaceId: string }) {
  const { t } = useI18n();
  const { clients } = useApp();
  const [failure, setFailure] = useState<string | null>(null);
  const [loaded, reload] = useLoad(() => clients.community.getSpace({ spaceId }), [spaceId]);
  const [round, setRound] = useState(0);
  const members = usePaged<community.Member>(async (pageToken) => {
    const answer = await clients.community.listMembers({ spaceId, pageSize: 30, pageToken });
    return { items: answer.members, next: answer.nextPageToken };
  }, [spaceId, round]);
  const [questions, reloadQuestions] = useLoad(() => clients.community.listUnansweredQuestions({ spaceId, pageSize: 10 }), [spaceId]);
  const change = async (join: boolean): Promise<void> => {
    setFailure(null);
    try {
      await (join ? clients.community.joinSpace({ spaceId }) : clients.community.leaveSpace({ spaceId }));
      reload();
      setRound((n) => n + 1);
    } catch (error) {
      setFailure(describeError(error, t));
    }
  };
  return (
    <Show loaded={loaded} retry={reload}>
      {({ space }) => space === undefined ? <Empty>{t("error.notFound")}</Empty> : (
        <>
          <h1>{space.name}</h1>
          <p class="lead">{space.description}</p>
          <p class="meta">
            <span>{t("spaces.members", { count: String(space.memberCount) })}</span>
            {space.myRole === community.SpaceRole.UNSPECIFIED ? (
              <button type="button" class="button button-primary" onClick={() => void change(true)}>{t("spaces.join")}</button>
            ) : (
              <button type="button" class="button" onClick={() => void change(false)}>{t("spaces.leave")}</button>
            )}
          </p>
          {failure !== null && <p role="alert" class="state state-error">{failure}</p>}
          <p><a href={href({ page: "search", query: "" })}>{t("home.browse")}</a> · <a href={href({ page: "ask" })}>{t("nav.ask")}</a></p>
          <h2>{t("spaces.questions")}</h2>
          <Show loaded={questions} retry={reloadQuestions}>
            {({ questions: list }) => list.length === 0 ? <Empty>{t("questions.empty")}</Empty> : (
              <ul>
                {list.map((q) => <li key={q.questionId}><a href={href({ page: "question", questionId: q.questionId })}>{q.title}</a></li>)}
              </ul>
            )}
          </Show>
          <h2>{t("spaces.membersTitle")}</h2>
          <Show loaded={members.loaded} retry={members.reload}>
            {(page) => (
              <>
                <ul class="people">{page.items.map((m) => <li key={m.userId}>{m.userId}</li>)}</ul>
                <MoreButton page={page} more={members.more} error={members.moreError} />
              </>
            )}
          </Show>
        </>
      )}
    </Show>
  );
}
