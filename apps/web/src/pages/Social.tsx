// Likes and comments of an item (community service). Like and unlike are optimistic:
// the count changes at once and is rolled back, with an explanation, if refused.
// A comment may mention a colleague with @their-id; they hear of it in their inbox.
import { community } from "@agora/clients";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { describeError } from "../errors";
import { formatDate } from "../format";
import { useI18n } from "../i18n";
import { Empty, Show, useLoad } from "../states";

interface Likes {
  count: bigint;
  mine: boolean;
}

function LikeButton({ target }: { target: community.Target }) {
  const { t } = useI18n();
  const { clients } = useApp();
  const [failure, setFailure] = useState<string | null>(null);
  const [loaded, reload, set] = useLoad<Likes>(async () => {
    const answer = await clients.community.getPopularity({ targets: [target] });
    const found = answer.popularity[0];
    return { count: found?.likes ?? 0n, mine: found?.likedByMe ?? false };
  }, [target.id]);
  const toggle = async (likes: Likes): Promise<void> => {
    setFailure(null);
    set({ count: likes.count + (likes.mine ? -1n : 1n), mine: !likes.mine });
    try {
      await (likes.mine ? clients.community.unlike({ target }) : clients.community.like({ target }));
    } catch (error) {
      set(likes); // rollback
      setFailure(t("social.likeRolledBack", { message: describeError(error, t) }));
    }
  };
  return (
    <Show loaded={loaded} retry={reload}>
      {(likes) => (
        <p class="meta">
          <button type="button" class={`button${likes.mine ? " button-primary" : ""}`} aria-pressed={likes.mine}
            data-testid="like" onClick={() => void toggle(likes)}>
            {likes.mine ? t("social.liked") : t("social.like")} · {String(likes.count)}
          </button>
          {failure !== null && <span role="alert" class="state-error">{failure}</span>}
        </p>
      )}
    </Show>
  );
}

function Comments({ target }: { target: community.Target }) {
  const { t, language } = useI18n();
  const { clients } = useApp();
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [loaded, reload, set] = useLoad(async () => {
    const answer = await clients.community.listComments({ target, pageSize: 50 });
    return answer.comments;
  }, [target.id]);
  const post = async (event: Event, comments: community.Comment[]): Promise<void> => {
    event.preventDefault();
    const body = draft.trim();
    if (!body) return;
    setBusy(true);
    setFailure(null);
    try {
      const answer = await clients.community.postComment({ target, body });
      if (answer.comment) set([...comments, answer.comment]);
      setDraft("");
    } catch (error) {
      setFailure(describeError(error, t)); // the draft stays, to try again
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="comments-title">
      <h2 id="comments-title">{t("social.comments")}</h2>
      <Show loaded={loaded} retry={reload}>
        {(comments) => (
          <>
            {comments.length === 0 ? <Empty>{t("social.noComments")}</Empty> : (
              <ul class="cards comments" data-testid="comments">
                {comments.map((comment) => (
                  <li key={comment.commentId} class="card">
                    <p class="meta"><strong>{comment.authorId}</strong> <span>{formatDate(comment.createTime, language, true)}</span></p>
                    <p>{comment.deleted ? t("social.deleted") : comment.body}</p>
                  </li>
                ))}
              </ul>
            )}
            <form onSubmit={(event) => void post(event, comments)} class="comment-form">
              <label for="comment-body">{t("social.write")}</label>
              <textarea id="comment-body" rows={3} maxLength={10000} value={draft}
                onInput={(event) => setDraft(event.currentTarget.value)} />
              <p class="muted">{t("social.mentionHint")}</p>
              {failure !== null && <p role="alert" class="state state-error">{failure}</p>}
              <button type="submit" class="button button-primary" disabled={busy || !draft.trim()}>{t("social.post")}</button>
            </form>
          </>
        )}
      </Show>
    </section>
  );
}

export function Social({ itemId }: { itemId: string }) {
  const target: community.Target = {
    $typeName: "agora.community.v1.Target",
    type: community.TargetType.KNOWLEDGE,
    id: itemId,
  };
  return (
    <>
      <LikeButton target={target} />
      <Comments target={target} />
    </>
  );
}
