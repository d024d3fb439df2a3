// The skills report (managers): per skill, learners who completed it, completions and
// the quiz pass rate.
import { useApp } from "../context";
import { useI18n } from "../i18n";
import { Empty, Show, useLoad } from "../states";

export function Skills() {
  const { t, language } = useI18n();
  const { clients } = useApp();
  const [loaded, reload] = useLoad(() => clients.catalog.getSkillsReport({}), []);
  const percent = new Intl.NumberFormat(language, { maximumFractionDigits: 0 });
  return (
    <>
      <h1>{t("skills.title")}</h1>
      <Show loaded={loaded} retry={reload}>
        {({ skills }) =>
          skills.length === 0 ? <Empty>{t("skills.empty")}</Empty> : (
            <div class="table-scroll" tabIndex={0} role="region" aria-label={t("skills.title")}>
              <table data-testid="skills">
                <caption class="visually-hidden">{t("skills.title")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("skills.skill")}</th>
                    <th scope="col">{t("skills.learners")}</th>
                    <th scope="col">{t("skills.completions")}</th>
                    <th scope="col">{t("skills.passRate")}</th>
                  </tr>
                </thead>
                <tbody>
                  {skills.map((skill) => (
                    <tr key={skill.skillId}>
                      <th scope="row">{skill.skillName}</th>
                      <td>{String(skill.learnersCompleted)}</td>
                      <td>{String(skill.completions)}</td>
                      <td>
                        {percent.format(skill.quizPassRatePercent)} % ({String(skill.quizPassed)}/{String(skill.quizAttempts)})
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </>
  );
}
