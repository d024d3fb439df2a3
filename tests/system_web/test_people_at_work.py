"""Experts, contributors and managers at work in the web app (after the learner's
journey, in the same platform): a contributor shares knowledge with the contribution
form, an expert approves it, it becomes searchable and the contributor sees it
published; a learner asks an expert, the expert answers from the questions waiting,
the learner reads and accepts the answer and, from another browser, finds it among her
questions as resolved; a manager assigns a path with a due date,
sees it and a learner's progress in the team view, and reads the skills report; the
learner's other pages (paths, spaces, leaderboards, badges with the Open Badges 3.0
download, challenges, preferences) answer. axe-core checks every page; screenshots
go to docs/screenshots/."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from playwright.async_api import Browser, expect

from agora.catalog.v1 import catalog_pb2 as cat
from agora_demo.cast import CHLOE, EMMA, INES, LEO, MARC, SOFIA
from agora_demo.waiting import wait_until

from .browser_checks import DESKTOP, PHONE, browsing, check_page, open_menu_page, sign_in
from .platform import WebPlatform

pytestmark = [pytest.mark.system, pytest.mark.timeout(600)]

SHARED_TITLE = "Anonymiser ou pseudonymiser : la différence"
SHARED_TEXT = (
    "## Pseudonymiser\nLes données restent personnelles : la table de correspondance "
    "permet de revenir à la personne.\n\n## Anonymiser\nAucun retour possible."
)
QUESTION = "Combien de temps garder les CV des candidats ?"
ANSWER = "Deux ans après le dernier contact, sauf accord du candidat pour plus longtemps."
SECOND_PATH = "Parcours découverte · Discovery path"
IN_A_MONTH = dt.date.today() + dt.timedelta(days=30)


async def test_a_contributor_shares_knowledge_an_expert_approves_it_and_it_becomes_searchable(
    web: WebPlatform, browser: Browser
) -> None:
    async with browsing(browser, DESKTOP, "en-GB") as page:
        await sign_in(page, web, LEO, button="Sign in")
        await open_menu_page(page, "More", "Share knowledge")
        await page.get_by_label("Title", exact=True).fill(SHARED_TITLE)
        await page.get_by_label("Summary", exact=True).fill("Deux mots souvent confondus.")
        await page.get_by_label("Text (Markdown)").fill(SHARED_TEXT)
        await page.get_by_label("Language", exact=True).last.select_option("fr")
        await page.get_by_label("Skill", exact=True).select_option(label="RGPD · GDPR")
        await page.get_by_role("button", name="Submit for review").click()
        await expect(page.get_by_role("status").filter(has_text="is submitted")).to_be_visible()
        mine = (
            page.get_by_test_id("contributions")
            .get_by_role("listitem")
            .filter(has_text=SHARED_TITLE)
        )
        await expect(mine.get_by_test_id("status")).to_have_text("Submitted")
        await check_page(page, "share")

        async with browsing(browser, DESKTOP, "en-GB") as expert:
            await sign_in(expert, web, SOFIA, button="Sign in")
            await expert.get_by_role("link", name="Reviews").click()
            queue = expert.get_by_test_id("review-queue")
            await expect(queue).to_contain_text(SHARED_TITLE)
            await check_page(expert, "reviews")
            submission = queue.get_by_role("listitem").filter(has_text=SHARED_TITLE)
            await submission.get_by_label("Comment for the contributor").fill("Clear, thank you!")
            await submission.get_by_role("button", name="Approve").click()
            await expect(expert.get_by_role("status")).to_contain_text(f"“{SHARED_TITLE}”: Approve")
            decided = queue.get_by_role("listitem").filter(has_text=SHARED_TITLE)
            await expect(decided).to_have_count(0)
            await expert.get_by_role("link", name="Catalogue").click()
            await expert.get_by_label("Search").fill("anonymiser pseudonymiser")
            results = expert.get_by_test_id("results")
            await expect(results.get_by_role("link", name=SHARED_TITLE)).to_be_visible()

        # The contributor follows the review: the item is now among the published ones.
        await page.get_by_label("Status").select_option(label="Published")
        published = (
            page.get_by_test_id("contributions")
            .get_by_role("listitem")
            .filter(has_text=SHARED_TITLE)
        )
        await expect(published.get_by_test_id("status")).to_have_text("Published")


async def test_a_learner_asks_an_expert_who_answers_and_the_learner_accepts_the_answer(
    web: WebPlatform, browser: Browser
) -> None:
    async with browsing(browser, PHONE, "fr-FR") as learner:
        await sign_in(learner, web, CHLOE, button="Se connecter")
        await open_menu_page(learner, "Plus", "Demander à un expert")
        await learner.get_by_label("Votre question").fill(QUESTION)
        await learner.get_by_label("Compétence").select_option(label="RGPD · GDPR")
        none_yet = learner.get_by_text("encore posé aucune question")
        await expect(none_yet).to_be_visible()
        await learner.get_by_role("button", name="Poser la question").click()
        await expect(learner.get_by_role("heading", level=1)).to_have_text(QUESTION)
        await expect(learner.get_by_text("Pas encore de réponse")).to_be_visible()
        question_url = learner.url

        async with browsing(browser, DESKTOP, "en-GB") as expert:
            await sign_in(expert, web, SOFIA, button="Sign in")
            await expert.get_by_role("link", name="Questions", exact=True).click()
            waiting = (
                expert.get_by_test_id("unanswered")
                .get_by_role("listitem")
                .filter(has_text=QUESTION)
            )
            await expect(waiting).to_be_visible()
            await check_page(expert, "questions")
            await waiting.get_by_label("Your answer").fill(ANSWER)
            await waiting.get_by_role("button", name="Answer").click()
            await expect(expert.get_by_role("status").filter(has_text="answered")).to_be_visible()
            await expect(waiting).to_have_count(0)

        await learner.goto(question_url)
        await learner.reload()
        answers = learner.get_by_test_id("answers")
        await expect(answers).to_contain_text(ANSWER)
        await answers.get_by_role("button", name="Accepter cette réponse").click()
        await expect(answers.get_by_text("Acceptée", exact=True)).to_be_visible()
        await check_page(learner, "question")

    # Another browser (nothing remembered locally): the service lists the question as hers.
    async with browsing(browser, PHONE, "fr-FR") as elsewhere:
        await sign_in(elsewhere, web, CHLOE, button="Se connecter")
        await open_menu_page(elsewhere, "Plus", "Demander à un expert")
        mine = elsewhere.get_by_test_id("my-questions").get_by_role("listitem")
        await expect(mine).to_have_count(1)
        await expect(mine.get_by_role("link", name=QUESTION)).to_be_visible()
        await expect(mine.get_by_test_id("question-status")).to_have_text("Résolue")
        await expect(mine).to_contain_text("1 réponses")
        await check_page(elsewhere, "ask")


async def test_a_manager_assigns_a_path_with_a_due_date_and_sees_progress_and_skills(
    web: WebPlatform, browser: Browser
) -> None:
    items = web.demo.world.items
    created = await web.platform.catalog.CreatePath(
        cat.CreatePathRequest(
            title=SECOND_PATH,
            description="Une vidéo et un article pour commencer.",
            steps=[
                cat.PathStep(item_id=items["video"], mandatory=True),
                cat.PathStep(item_id=items["wiki"], mandatory=True),
            ],
        ),
        metadata=web.platform.as_(INES),
    )
    await web.platform.catalog.PublishPath(
        cat.PublishPathRequest(path_id=created.path.path_id), metadata=web.platform.as_(INES)
    )
    # Emma passed the GDPR quiz (the learner's journey): a mandatory step of her path.
    team = await wait_until(
        "Emma's progress on the GDPR path",
        lambda: web.platform.catalog.ListTeamAssignments(
            cat.ListTeamAssignmentsRequest(page_size=100), metadata=web.platform.as_(MARC)
        ),
        lambda answer: any(
            a.learner_id == EMMA.person_id and a.percent > 0 for a in answer.assignments
        ),
        timeout=60,
    )
    emma_percent = next(
        a.percent for a in team.assignments if a.learner_id == EMMA.person_id and a.percent > 0
    )
    async with browsing(browser, DESKTOP, "en-GB") as page:
        await sign_in(page, web, MARC, button="Sign in")
        await page.get_by_role("link", name="My team").click()
        table = page.get_by_test_id("team")
        emma_row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="emma"))
        await expect(emma_row.filter(has_text="Parcours RGPD")).to_contain_text(f"{emma_percent} %")

        await page.get_by_label("Path", exact=True).select_option(label=SECOND_PATH)
        # Picked by name (the people directory): a prefix of her name, accents ignored.
        await page.get_by_label("Find a learner by name").fill("chloe pe")
        await (
            page.get_by_test_id("assign-find-matches")
            .get_by_role("button", name="Chloé Petit (chloe)")
            .click()
        )
        await expect(page.get_by_role("checkbox", name="Chloé Petit")).to_be_checked()
        await page.get_by_label("Due date").fill(IN_A_MONTH.isoformat())
        await page.get_by_role("button", name="Assign", exact=True).click()
        assigned = page.get_by_role("status").filter(has_text="New assignments: 1")
        await expect(assigned).to_be_visible()
        chloe_row = table.get_by_role("row").filter(has_text=SECOND_PATH)
        await expect(chloe_row.get_by_role("rowheader")).to_have_text("chloe")
        await expect(chloe_row).to_contain_text(str(IN_A_MONTH.year))
        await check_page(page, "team-assign")

        await open_menu_page(page, "More", "Skills report")
        skills = page.get_by_test_id("skills")
        await expect(skills.get_by_role("rowheader", name="RGPD · GDPR")).to_be_visible()
        await check_page(page, "skills")


async def test_the_learner_pages_answer_paths_spaces_boards_badges_challenges_preferences(
    web: WebPlatform, browser: Browser
) -> None:
    async with browsing(browser, DESKTOP, "en-GB") as page:
        await sign_in(page, web, EMMA, button="Sign in")
        await expect(page.get_by_test_id("micro")).to_be_visible()
        await check_page(page, "home-next")

        await open_menu_page(page, "More", "Paths")
        paths = page.get_by_test_id("paths")
        await paths.get_by_role("link", name=re.compile("Parcours RGPD")).click()
        await expect(page.get_by_test_id("path-progress")).to_contain_text("mandatory steps done")
        await expect(page.get_by_test_id("steps")).to_contain_text("Quiz RGPD")
        await check_page(page, "path")

        await open_menu_page(page, "More", "Spaces")
        await page.get_by_role("link", name="Club SQL · SQL circle").first.click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Club SQL · SQL circle")
        await expect(page.get_by_role("button", name="Leave")).to_be_visible()
        await check_page(page, "space")

        await open_menu_page(page, "More", "Leaderboards")
        await page.get_by_label("Period").select_option(label="All time")
        my_rank = page.get_by_test_id("my-rank")
        await expect(my_rank).to_contain_text(re.compile(r"You are \d+ of \d+"))
        leave = page.get_by_label("Leave the leaderboards (my points stay mine)")
        await expect(leave).not_to_be_checked()
        await leave.check()
        await expect(page.get_by_role("status").filter(has_text="no longer appear")).to_be_visible()
        await expect(my_rank).to_contain_text("You are not ranked")
        await page.reload()  # the choice is read back from the service
        await expect(leave).to_be_checked()
        await check_page(page, "leaderboard")

        await open_menu_page(page, "More", "Badges")
        award = page.get_by_test_id("awards").get_by_role("listitem").first
        await expect(award).to_contain_text("GDPR champion")
        async with page.expect_download() as downloading:
            await award.get_by_role("button", name=re.compile("Open Badges 3.0")).click()
        download = await downloading.value
        credential = json.loads((await download.path()).read_text())
        assert "OpenBadgeCredential" in credential["type"]
        await check_page(page, "badges")

        await open_menu_page(page, "More", "Challenges")
        await page.get_by_label("Colleague", exact=True).fill("bern")
        matches = page.get_by_test_id("duel-opponent-matches")
        await matches.get_by_role("button", name="Hugo Bernard (hugo)").click()
        await expect(page.get_by_test_id("duel-chosen")).to_have_text("Your opponent: Hugo Bernard")
        await page.get_by_label("Quiz (item id)").fill(web.demo.world.items["quiz"])
        await page.get_by_label("Ends on").fill(IN_A_MONTH.isoformat())
        await page.get_by_role("button", name="Open the duel").click()
        await expect(page.get_by_test_id("challenges")).to_contain_text("Duel emma vs hugo")
        await check_page(page, "challenges")

        await open_menu_page(page, "More", "Preferences")
        # The opt-out shows here too; saving the preferences brings Emma back on the boards.
        await expect(leave).to_be_checked()
        await leave.uncheck()
        await page.get_by_label("By email").select_option(label="Off")
        await page.get_by_label("From", exact=True).fill("21:00")
        await page.get_by_label("To", exact=True).fill("07:30")
        await page.get_by_role("button", name="Save", exact=True).click()
        saved = page.get_by_role("status").filter(has_text="preferences are saved")
        await expect(saved).to_be_visible()
        await check_page(page, "preferences")
        await open_menu_page(page, "More", "Leaderboards")
        await expect(leave).not_to_be_checked()
        await page.get_by_label("Period").select_option(label="All time")
        await expect(my_rank).to_contain_text(re.compile(r"You are \d+ of \d+"))
