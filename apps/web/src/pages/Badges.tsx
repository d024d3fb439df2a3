// Badges: the caller's awards, each downloadable as an Open Badges 3.0 credential
// (the JSON-LD the gamification service signs; also the VC-JWT when it has a key).
import { gamification } from "@agora/clients";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { describeError } from "../errors";
import { formatDate } from "../format";
import { useI18n } from "../i18n";
import { Empty, Show, useLoad } from "../states";

function save(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function AwardCard({ award }: { award: gamification.Award }) {
  const { t, language } = useI18n();
  const { clients } = useApp();
  const [failure, setFailure] = useState<string | null>(null);
  const download = async (): Promise<void> => {
    setFailure(null);
    try {
      const credential = await clients.gamification.exportCredential({ awardId: award.awardId });
      save(`${award.badgeId}-${award.awardId}.json`, credential.credentialJson, "application/ld+json");
      if (credential.jwt) save(`${award.badgeId}-${award.awardId}.jwt`, credential.jwt, "application/vc+jwt");
    } catch (error) {
      setFailure(describeError(error, t));
    }
  };
  return (
    <li class="card">
      <h2 class="card-title">{award.badgeName}</h2>
      <p class="meta">
        <span>{t("badges.awarded", { date: formatDate(award.awardedAt, language) })}</span>
        {award.revoked && <span class="tag tag-alert">{t("badges.revoked", { reason: award.revocationReason })}</span>}
      </p>
      {failure !== null && <p role="alert" class="state state-error">{failure}</p>}
      {!award.revoked && (
        <button type="button" class="button" onClick={() => void download()}>{t("badges.download")}</button>
      )}
    </li>
  );
}

export function Badges() {
  const { t } = useI18n();
  const { clients } = useApp();
  const [loaded, reload] = useLoad(
    () => Promise.all([clients.gamification.listAwards({}), clients.gamification.listBadges({})]),
    [],
  );
  return (
    <>
      <h1>{t("badges.title")}</h1>
      <p class="muted">{t("badges.lead")}</p>
      <Show loaded={loaded} retry={reload}>
        {([{ awards }, { badges }]) => (
          <>
            {awards.length === 0 ? <Empty>{t("home.noBadges")}</Empty> : (
              <ul class="cards" data-testid="awards">
                {awards.map((award) => <AwardCard key={award.awardId} award={award} />)}
              </ul>
            )}
            <h2>{t("badges.available")}</h2>
            {badges.length === 0 ? <Empty>{t("badges.none")}</Empty> : (
              <ul class="cards">
                {badges.map((badge) => (
                  <li key={badge.badgeId} class="card">
                    <h3>{badge.name}</h3>
                    <p class="muted">{badge.criteriaNarrative || badge.description}</p>
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </Show>
    </>
  );
}
