// Ask an expert: a question tagged with a skill (the community proposes experts), and
// the caller's own questions from the service (ListMyQuestions), newest first.
import { community } from "@agora/clients";
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { formatDate } from "../format";
import { useI18n, type Translate } from "../i18n";
import { href } from "../router";
import { Failure, PagedList, Show, useAction, useLoad, usePaged } from "../states";

function AskForm() {
  const { t } = useI18n();
  const { clients } = useApp();
  const [skills, reloadSkills] = useLoad(() => clients.catalog.listSkills({}), []);
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const [skillId, setSkillId] = useState("");
  const { busy, failure, run } = useAction();
  const submit = run(async () => {
    const { question } = await clients.community.askQuestion({
      title: title.trim(),
      body: body.trim(),
      skillIds: skillId ? [skillId] : [],
    });
    if (question === undefined) throw new Error("no question in the answer");
    window.location.hash = href({ page: "question", questionId: question.questionId });
  });
  return (
    <form class="card form" onSubmit={submit}>
      <label for="ask-title">{t("ask.question")}</label>
      <input id="ask-title" required maxLength={300} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      <label for="ask-body">{t("ask.details")}</label>
      <textarea id="ask-body" rows={4} maxLength={10000} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
      <label for="ask-skill">{t("ask.skill")}</label>
      <Show loaded={skills} retry={reloadSkills}>
        {({ skills: list }) => (
          <select id="ask-skill" required value={skillId} onChange={(e) => setSkillId(e.currentTarget.value)}>
            <option value="">{t("ask.pickSkill")}</option>
            {list.map((skill) => <option key={skill.skillId} value={skill.skillId}>{skill.name}</option>)}
          </select>
        )}
      </Show>
      <Failure message={failure} />
      <button type="submit" class="button button-primary" disabled={busy}>{t("ask.submit")}</button>
    </form>
  );
}

const STATUS_TAGS: Record<community.QuestionStatus, { key: Parameters<Translate>[0]; tag: string }> = {
  [community.QuestionStatus.UNSPECIFIED]: { key: "ask.status.open", tag: "tag" },
  [community.QuestionStatus.OPEN]: { key: "ask.status.open", tag: "tag" },
  [community.QuestionStatus.ANSWERED]: { key: "ask.status.answered", tag: "tag tag-ok" },
  [community.QuestionStatus.RESOLVED]: { key: "ask.status.resolved", tag: "tag tag-ok" },
  [community.QuestionStatus.HIDDEN]: { key: "ask.status.hidden", tag: "tag tag-alert" },
};

function MyQuestions() {
  const { t, language } = useI18n();
  const { clients, session } = useApp();
  const paged = usePaged<community.Question>(async (pageToken) => {
    const answer = await clients.community.listMyQuestions({ pageSize: 10, pageToken });
    return { items: answer.questions, next: answer.nextPageToken };
  }, [session.subject]);
  return (
    <section aria-labelledby="my-questions">
      <h2 id="my-questions">{t("ask.mine")}</h2>
      <PagedList paged={paged} empty={t("ask.noneYet")}>
        {(items) => (
          <ul class="cards comments" data-testid="my-questions">
            {items.map((question) => {
              const status = STATUS_TAGS[question.status];
              return (
                <li key={question.questionId} class="card">
                  <h3>
                    {question.status === community.QuestionStatus.HIDDEN ? question.title : (
                      <a href={href({ page: "question", questionId: question.questionId })}>{question.title}</a>
                    )}
                  </h3>
                  <p class="meta">
                    <span class={status.tag} data-testid="question-status">{t(status.key)}</span>
                    <span>{t("question.answers", { count: String(question.answerCount) })}</span>
                    <span>{formatDate(question.createTime, language)}</span>
                  </p>
                </li>
              );
            })}
          </ul>
        )}
      </PagedList>
    </section>
  );
}

export function Ask() {
  const { t } = useI18n();
  return (
    <>
      <h1>{t("ask.title")}</h1>
      <p class="muted">{t("ask.lead")}</p>
      <AskForm />
      <MyQuestions />
    </>
  );
}
