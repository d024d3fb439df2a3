// Ask an expert: a question tagged with a skill (the community proposes experts), and
// the questions asked from this browser with their answers.
import { useState } from "preact/hooks";

import { useApp } from "../context";
import { useI18n } from "../i18n";
import { href } from "../router";
import { Empty, Failure, Show, useAction, useLoad } from "../states";

const ASKED_KEY = "agora.asked";

/** The ids of the questions asked from this browser, newest first (no "my questions" call yet). */
export function askedQuestions(subject: string): string[] {
  const saved: unknown = JSON.parse(localStorage.getItem(`${ASKED_KEY}.${subject}`) ?? "[]");
  return Array.isArray(saved) ? saved.filter((id): id is string => typeof id === "string") : [];
}

function remember(subject: string, questionId: string): void {
  const ids = [questionId, ...askedQuestions(subject).filter((id) => id !== questionId)].slice(0, 50);
  localStorage.setItem(`${ASKED_KEY}.${subject}`, JSON.stringify(ids));
}

function AskForm() {
  const { t } = useI18n();
  const { clients, session } = useApp();
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
    remember(session.subject, question.questionId);
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

function MyQuestions() {
  const { t } = useI18n();
  const { clients, session } = useApp();
  const [loaded, reload] = useLoad(
    () => Promise.all(askedQuestions(session.subject).slice(0, 10).map((questionId) => clients.community.getQuestion({ questionId }))),
    [session.subject],
  );
  return (
    <section aria-labelledby="my-questions">
      <h2 id="my-questions">{t("ask.mine")}</h2>
      <Show loaded={loaded} retry={reload}>
        {(answers) =>
          answers.length === 0 ? <Empty>{t("ask.noneYet")}</Empty> : (
            <ul class="cards comments" data-testid="my-questions">
              {answers.map(({ question }) => question && (
                <li key={question.questionId} class="card">
                  <h3><a href={href({ page: "question", questionId: question.questionId })}>{question.title}</a></h3>
                  <p class="meta">{t("question.answers", { count: String(question.answerCount) })}</p>
                </li>
              ))}
            </ul>
          )
        }
      </Show>
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
