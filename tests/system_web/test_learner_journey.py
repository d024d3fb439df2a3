"""A learner uses the web app in a real browser (Debian's Chromium driven by Playwright)
against the real services: signs in through the OpenID Connect provider (authorization
code + PKCE), finds an item with a misspelt French query, passes its quiz (graded by the
catalog) and sees the points gamification awards, without reloading, likes it and
comments mentioning a colleague; the colleague sees the mention in the inbox, and
marking a notification read lowers the unread count at once and on the server. axe-core checks
every page; screenshots at phone and desktop sizes go to docs/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from agora.community.v1 import community_pb2 as com
from agora.notifications.v1 import notifications_pb2 as notif
from agora_demo.cast import EMMA, HUGO, MARC
from agora_demo.waiting import wait_until

from .browser_checks import DESKTOP, PHONE, browsing, check_page, sign_in
from .platform import WebPlatform

pytestmark = [pytest.mark.system, pytest.mark.timeout(600)]

QUIZ_TITLE = "Quiz RGPD : les bases"
# The quiz's summary says "l'essentiel": misspelt, it is found by the typo fallback.
TYPO_QUERY = "esentiel"
MENTION = "Très utile, merci ! @hugo tu devrais le faire aussi."
# The texts of the right choices (agora_demo.content.QUIZ_KEY: q1 b, q2 b, q3 a).
QUIZ_CHOICES = {
    "q1": "72 heures",
    "q2": "Non, elles restent personnelles",
    "q3": "Toute personne concernée",
}


async def test_a_learner_finds_an_item_with_a_typo_passes_its_quiz_sees_points_likes_comments(
    web: WebPlatform, browser: Browser
) -> None:
    async with browsing(browser, DESKTOP, "en-GB") as page:
        await sign_in(page, web, EMMA, button="Sign in")
        assignments = page.get_by_test_id("assignments")
        await expect(assignments).to_contain_text("Parcours RGPD")
        await expect(page.get_by_test_id("points")).to_have_text("0")
        await check_page(page, "home")

        await page.get_by_role("link", name="Catalogue").click()
        await page.get_by_label("Search").fill(TYPO_QUERY)  # as you type: no submit
        result = page.get_by_test_id("results").get_by_role("link", name=QUIZ_TITLE)
        await expect(result).to_be_visible()
        await check_page(page, "search")

        await result.click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(QUIZ_TITLE)
        for choice in QUIZ_CHOICES.values():
            await page.get_by_label(choice, exact=True).check()
        await page.get_by_role("button", name="Submit my answers").click()
        await expect(page.get_by_test_id("quiz-result")).to_contain_text("Passed with 100%")
        # Points arrive through Kafka (quiz passed → gamification); the page shows them.
        await expect(page.get_by_test_id("rewards")).to_contain_text(
            re.compile(r"[1-9]\d* points · level"), timeout=60_000
        )
        await check_page(page, "item-quiz")

        # Like (optimistic, confirmed by the service) and a comment mentioning Hugo.
        like = page.get_by_test_id("like")
        await expect(like).to_have_text("Like · 0")
        await like.click()
        await expect(like).to_have_text("Liked · 1")
        await expect(like).to_have_attribute("aria-pressed", "true")
        item_id = page.url.rsplit("/", 1)[1]
        # The like is recorded at once; the count follows through the likes topic.
        popularity = await wait_until(
            "the like to be counted",
            lambda: web.platform.community.GetPopularity(
                com.GetPopularityRequest(
                    targets=[com.Target(type=com.TARGET_TYPE_KNOWLEDGE, id=item_id)]
                ),
                metadata=web.platform.as_(EMMA),
            ),
            lambda answer: answer.popularity[0].likes == 1,
            timeout=60,
        )
        assert popularity.popularity[0].liked_by_me
        await page.get_by_label("Your comment").fill(MENTION)
        await page.get_by_role("button", name="Post").click()
        await expect(page.get_by_test_id("comments")).to_contain_text(MENTION)
        await check_page(page, "item-comments")

        await page.get_by_role("link", name="Home").click()
        await expect(page.get_by_test_id("points")).not_to_have_text("0")


async def test_the_mentioned_learner_sees_it_in_the_inbox_and_mark_read_lowers_the_count(
    web: WebPlatform, browser: Browser
) -> None:
    async with browsing(browser, PHONE, "fr-FR") as page:
        # Emma's comment mentioned Hugo (first test): wait until he has heard of it, so
        # the count read below is the one the page shows.
        await wait_until(
            "Hugo's inbox to show Emma's mention",
            lambda: web.platform.notifications.ListInbox(
                notif.ListInboxRequest(page_size=50), metadata=web.platform.as_(HUGO)
            ),
            lambda inbox: any(n.category == "mention" for n in inbox.notifications),
            timeout=60,
        )
        await sign_in(page, web, HUGO, button="Se connecter")
        unread_before = (
            await web.platform.notifications.GetUnreadCount(
                notif.GetUnreadCountRequest(), metadata=web.platform.as_(HUGO)
            )
        ).unread
        assert unread_before >= 2  # the manager's assignment and Emma's mention
        badge = page.get_by_test_id("unread")
        await expect(badge).to_have_text(str(unread_before))

        await page.get_by_role("link", name=re.compile("^Notifications")).click()
        inbox = page.get_by_test_id("inbox")
        await expect(inbox).to_be_visible()
        await expect(inbox).to_contain_text("vous a mentionné")  # Hugo reads French
        await expect(inbox).to_contain_text("@hugo tu devrais le faire aussi")
        await check_page(page, "inbox")
        await inbox.get_by_role("button", name="Marquer comme lue").first.click()
        expected = unread_before - 1
        if expected:
            await expect(badge).to_have_text(str(expected))
        else:
            await expect(badge).to_have_count(0)
        # The count dropped before the service answered (optimistic); the service agrees.
        await wait_until(
            "the service to count one unread notification less",
            lambda: web.platform.notifications.GetUnreadCount(
                notif.GetUnreadCountRequest(), metadata=web.platform.as_(HUGO)
            ),
            lambda answer: answer.unread == expected,
            timeout=20,
        )


async def test_a_manager_sees_the_team_assignments_and_progress(
    web: WebPlatform, browser: Browser
) -> None:
    async with browsing(browser, PHONE, "fr-FR") as page:
        await sign_in(page, web, MARC, button="Se connecter")
        await page.get_by_role("link", name="Mon équipe").click()
        team = page.get_by_test_id("team")
        for learner in ("emma", "hugo", "chloe"):
            await expect(team.get_by_role("rowheader", name=learner)).to_be_visible()
        await expect(team).to_contain_text("Parcours RGPD")
        await check_page(page, "team")
