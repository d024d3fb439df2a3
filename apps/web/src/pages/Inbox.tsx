// Inbox: newest first, paged; mark-read is optimistic (the count drops at once) and
// rolled back with an explanation when the service refuses.
import { notifications } from "@agora/clients";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { describeError } from "../errors";
import { formatDate } from "../format";
import { useI18n } from "../i18n";
import { Empty, Show, useLoad } from "../states";

interface Page {
  items: notifications.Notification[];
  next: string;
}

export function Inbox() {
  const { t, language } = useI18n();
  const { clients, setUnread, refreshUnread } = useApp();
  const [failure, setFailure] = useState<string | null>(null);
  const [loaded, reload, set] = useLoad<Page>(async () => {
    const answer = await clients.notifications.listInbox({ pageSize: 20 });
    return { items: answer.notifications, next: answer.nextPageToken };
  }, []);

  const markRead = async (page: Page, ids: string[]): Promise<void> => {
    const changing = page.items.filter((n) => ids.includes(n.notificationId) && !n.read);
    if (changing.length === 0) return;
    setFailure(null);
    set({ ...page, items: page.items.map((n) => (ids.includes(n.notificationId) ? { ...n, read: true } : n)) });
    setUnread((count) => Math.max(0, count - changing.length));
    try {
      await clients.notifications.markRead({ notificationIds: changing.map((n) => n.notificationId) });
    } catch (error) {
      set(page); // rollback: the page as it was before the click
      setUnread((count) => count + changing.length);
      setFailure(t("error.rolledBack", { message: describeError(error, t) }));
    } finally {
      refreshUnread();
    }
  };

  const more = async (page: Page): Promise<void> => {
    const answer = await clients.notifications.listInbox({ pageSize: 20, pageToken: page.next });
    set({ items: [...page.items, ...answer.notifications], next: answer.nextPageToken });
  };

  return (
    <>
      <h1>{t("inbox.title")}</h1>
      {failure !== null && <p role="alert" class="state state-error">{failure}</p>}
      <Show loaded={loaded} retry={reload}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>{t("inbox.empty")}</Empty>
          ) : (
            <>
              <p>
                <button type="button" class="button" onClick={() => void markRead(page, page.items.map((n) => n.notificationId))}>
                  {t("inbox.markAllRead")}
                </button>
              </p>
              <ul class="cards" data-testid="inbox">
                {page.items.map((n) => (
                  <li key={n.notificationId} class={`card${n.read ? "" : " unread"}`}>
                    <h2 class="card-title">
                      {!n.read && <span class="tag tag-alert">{t("inbox.unread")}</span>} {n.title}
                    </h2>
                    <p>{n.body}</p>
                    <p class="meta">
                      <span>{formatDate(n.createTime, language, true)}</span>
                      {!n.read && (
                        <button type="button" class="button button-small" onClick={() => void markRead(page, [n.notificationId])}>
                          {t("inbox.markRead")}
                        </button>
                      )}
                    </p>
                  </li>
                ))}
              </ul>
              {page.next && (
                <button type="button" class="button" onClick={() => void more(page).catch(reload)}>{t("inbox.more")}</button>
              )}
            </>
          )
        }
      </Show>
    </>
  );
}
