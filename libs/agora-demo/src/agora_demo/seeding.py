"""The demo tenant before the story starts: people, taxonomy, a badge, spaces, the
reference content (each item approved by a reviewer) and the GDPR path. Every step is an
RPC of the real API, made by the person who would make it in a real tenant."""

from __future__ import annotations

import asyncio
import datetime as dt

from agora.catalog.v1 import catalog_pb2 as cat
from agora.community.v1 import community_pb2 as com
from agora.gamification.v1 import gamification_pb2 as gam
from agora.notifications.v1 import notifications_pb2 as notif
from agora_demo.cast import EMMA, EVERYONE, HUGO, INES, LEO, MARC, SOFIA, Person
from agora_demo.content import GDPR, SKILLS, THEMES, seed_items
from agora_demo.narration import Narrator
from agora_demo.platform import Platform
from agora_demo.world import BADGE_ID, QUIZ_PASSED, DemoWorld


class Seeder:
    def __init__(self, platform: Platform, narrator: Narrator, world: DemoWorld) -> None:
        self.p = platform
        self.n = narrator
        self.world = world

    async def seed(self) -> None:
        self.n.scene(0, f"Seeding tenant {self.p.tenant}: people, taxonomy, badge, spaces, content")
        await self._people()
        await self._taxonomy()
        await self._badge()
        await self._spaces()
        await self._items()
        await self._path()

    async def _people(self) -> None:
        profiles = [
            notif.Profile(person_id=p.person_id, locale=p.locale, time_zone=p.time_zone)
            for p in EVERYONE
        ]
        await self.p.notifications.UpsertProfiles(
            notif.UpsertProfilesRequest(profiles=profiles), metadata=self.p.as_(INES)
        )
        directory = [
            com.Person(person_id=p.person_id, display_name=p.name, roles=list(p.roles))
            for p in EVERYONE
        ]
        await self.p.community.PutPeople(
            com.PutPeopleRequest(people=directory), metadata=self.p.as_(INES)
        )
        self.n.act(
            INES,
            "registers 7 people (HR sync): "
            + ", ".join(f"{p.name} [{p.locale}]" for p in EVERYONE),
        )

    async def _taxonomy(self) -> None:
        for theme_id, name, parent in THEMES:
            await self.p.catalog.UpsertTheme(
                cat.UpsertThemeRequest(theme_id=theme_id, name=name, parent_id=parent),
                metadata=self.p.as_(INES),
            )
        for skill_id, name in SKILLS:
            await self.p.catalog.UpsertSkill(
                cat.UpsertSkillRequest(skill_id=skill_id, name=name, expert_ids=[SOFIA.person_id]),
                metadata=self.p.as_(INES),
            )
        self.n.act(
            INES,
            f"defines {len(THEMES)} themes and the skills {', '.join(n for _, n in SKILLS)} "
            f"(expert: {SOFIA.name})",
        )

    async def _badge(self) -> None:
        existing = await self.p.gamification.ListBadges(
            gam.ListBadgesRequest(), metadata=self.p.as_(INES)
        )
        if any(GDPR in b.skill_ids for b in existing.badges):
            return
        badge = gam.Badge(
            badge_id=BADGE_ID,
            name="Champion RGPD · GDPR champion",
            description="A réussi le quiz RGPD · Passed the GDPR quiz.",
            image_url="https://badges.example/champion-rgpd.png",
            skill_ids=[GDPR],
            criteria_narrative="Pass a quiz on the GDPR skill.",
            groups=[
                gam.RequirementGroup(
                    requirements=[
                        gam.Requirement(
                            event_type=QUIZ_PASSED,
                            count=1,
                            conditions=[
                                gam.Condition(
                                    field="skills.skill_id", op="eq", value_json=f'"{GDPR}"'
                                )
                            ],
                        )
                    ]
                )
            ],
        )
        await self.p.gamification.PutBadge(
            gam.PutBadgeRequest(badge=badge), metadata=self.p.as_(INES)
        )
        self.n.act(INES, f"defines the badge “{badge.name}” (no default badge covers the GDPR)")

    async def _spaces(self) -> None:
        privacy = await self.p.community.CreateSpace(
            com.CreateSpaceRequest(
                name="Données & confidentialité · Data & privacy",
                description="Questions, retours d'expérience et bonnes pratiques RGPD.",
                visibility=com.SPACE_VISIBILITY_OPEN,
                topic="rgpd",
            ),
            metadata=self.p.as_(INES),
        )
        sql = await self.p.community.CreateSpace(
            com.CreateSpaceRequest(
                name="Club SQL · SQL circle",
                description="Share queries, ask for reviews, learn window functions together.",
                visibility=com.SPACE_VISIBILITY_OPEN,
                topic="sql",
            ),
            metadata=self.p.as_(SOFIA),
        )
        self.world.spaces = {"privacy": privacy.space.space_id, "sql": sql.space.space_id}
        joins = [(p, privacy.space.space_id) for p in EVERYONE if p is not INES]
        joins += [(p, sql.space.space_id) for p in (LEO, EMMA, HUGO, MARC)]
        await asyncio.gather(
            *(
                self.p.community.JoinSpace(
                    com.JoinSpaceRequest(space_id=space), metadata=self.p.as_(person)
                )
                for person, space in joins
            )
        )
        self.n.act(INES, f"opens the space “{privacy.space.name}”; 6 people join")
        self.n.act(SOFIA, f"opens the space “{sql.space.name}”; 4 people join")

    async def _publish_reviewed(
        self, author: Person, reviewer: Person, draft: cat.ItemDraft
    ) -> cat.Item:
        """Create and submit an item, then have ``reviewer`` claim and approve it."""
        created = await self.p.catalog.CreateItem(
            cat.CreateItemRequest(item=draft), metadata=self.p.as_(author)
        )
        item_id = created.item.item_id
        await self.p.catalog.SubmitItem(
            cat.SubmitItemRequest(item_id=item_id), metadata=self.p.as_(author)
        )
        await self.p.catalog.ClaimReview(
            cat.ClaimReviewRequest(item_id=item_id), metadata=self.p.as_(reviewer)
        )
        reviewed = await self.p.catalog.ReviewItem(
            cat.ReviewItemRequest(item_id=item_id, decision=cat.REVIEW_DECISION_APPROVED),
            metadata=self.p.as_(reviewer),
        )
        return reviewed.item

    async def _items(self) -> None:
        seeds = seed_items(dt.datetime.now(dt.UTC))
        # The expert writes the reference content; an admin (who may review anything)
        # validates it, since nobody reviews their own work.
        items = await asyncio.gather(*(self._publish_reviewed(SOFIA, INES, s.draft) for s in seeds))
        for seed, item in zip(seeds, items, strict=True):
            self.world.items[seed.key] = item.item_id
        self.n.act(
            SOFIA,
            f"publishes {len(items)} items, each approved by {INES.name}: "
            + "; ".join(
                f"{cat.KnowledgeType.Name(i.type).removeprefix('KNOWLEDGE_TYPE_').lower()} "
                f"[{i.language}] “{i.title}”"
                for i in items
            ),
        )

    async def _path(self) -> None:
        items = self.world.items
        created = await self.p.catalog.CreatePath(
            cat.CreatePathRequest(
                title="Parcours RGPD · GDPR essentials",
                description=(
                    "L'essentiel du RGPD en moins d'une heure · GDPR basics in under an hour."
                ),
                objectives=[
                    "Connaître les principes du RGPD",
                    "Know what to do after a data breach",
                ],
                steps=[
                    cat.PathStep(item_id=items["video"], mandatory=True),
                    cat.PathStep(item_id=items["document"], mandatory=True),
                    cat.PathStep(item_id=items["quiz"], mandatory=True),
                    cat.PathStep(item_id=items["scorm"], mandatory=False),
                ],
                target_skills=[cat.SkillLevel(skill_id=GDPR, level=2)],
            ),
            metadata=self.p.as_(INES),
        )
        published = await self.p.catalog.PublishPath(
            cat.PublishPathRequest(path_id=created.path.path_id), metadata=self.p.as_(INES)
        )
        self.world.path_id = published.path.path_id
        self.n.act(
            INES,
            f"publishes the path “{published.path.title}” "
            "(video, document and quiz mandatory; SCORM module optional)",
        )
