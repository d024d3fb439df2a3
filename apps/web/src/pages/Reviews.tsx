// Expert review queue: claim a submission and approve it, ask for changes or reject it,
// with a comment the contributor reads. A decided item leaves the queue.
import { catalog } from "@agora/clients";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { describeError } from "../errors";
import { useI18n } from "../i18n";
import { href } from "../router";
import { Empty, Show, useLoad } from "../states";
import { typeLabel } from "./Search";

const DECISIONS = [
  [catalog.ReviewDecision.APPROVED, "review.approve"],
  [catalog.ReviewDecision.CHANGES_REQUESTED, "review.changes"],
  [catalog.ReviewDecision.REJECTED, "review.reject"],
] as const;

function Submission({ item, onDecided }: { item: catalog.Item; onDecided: (message: string) => void }) {
  const { t } = useI18n();
  const { clients } = useApp();
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const decide = async (decision: catalog.ReviewDecision, label: string): Promise<void> => {
    setBusy(true);
    setFailure(null);
    try {
      if (item.reviewerId === "") await clients.catalog.claimReview({ itemId: item.itemId });
      await clients.catalog.reviewItem({ itemId: item.itemId, decision, comment: comment.trim() });
      onDecided(t("review.done", { title: item.title, decision: label }));
    } catch (error) {
      setFailure(describeError(error, t));
      setBusy(false);
    }
  };
  const commentId = `review-comment-${item.itemId}`;
  return (
    <li class="card">
      <h2 class="card-title"><a href={href({ page: "item", itemId: item.itemId })}>{item.title}</a></h2>
      <p class="meta">
        <span class="tag">{t(typeLabel(item.type))}</span>
        <span>{item.language.toUpperCase()}</span>
        <span>{t("review.by", { author: item.authorId })}</span>
      </p>
      <p class="muted">{item.summary}</p>
      {item.content.case === "wiki" && <div class="wiki"><p>{item.content.value.markdown}</p></div>}
      <label for={commentId}>{t("review.comment")}</label>
      <textarea id={commentId} rows={2} maxLength={2000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      {failure !== null && <p role="alert" class="state state-error">{failure}</p>}
      <p class="meta">
        {DECISIONS.map(([decision, key]) => (
          <button key={decision} type="button" disabled={busy}
            class={`button${decision === catalog.ReviewDecision.APPROVED ? " button-primary" : ""}`}
            onClick={() => void decide(decision, t(key))}>
            {t(key)}
          </button>
        ))}
      </p>
    </li>
  );
}

export function Reviews() {
  const { t } = useI18n();
  const { clients } = useApp();
  const [notice, setNotice] = useState<string | null>(null);
  const [loaded, reload, set] = useLoad(async () => {
    const answer = await clients.catalog.listReviewQueue({ pageSize: 50 });
    return answer.items;
  }, []);
  return (
    <>
      <h1>{t("review.title")}</h1>
      {notice !== null && <p role="status" class="state result-ok">{notice}</p>}
      <Show loaded={loaded} retry={reload}>
        {(items) =>
          items.length === 0 ? <Empty>{t("review.empty")}</Empty> : (
            <ul class="cards comments" data-testid="review-queue">
              {items.map((item) => (
                <Submission key={item.itemId} item={item} onDecided={(message) => {
                  setNotice(message);
                  set(items.filter((other) => other.itemId !== item.itemId));
                }} />
              ))}
            </ul>
          )
        }
      </Show>
    </>
  );
}
