"""manage.py rebuild_rollups: recount the analytics rollups from the raw
interactions, for every creator or one (--creator HANDLE).

The rollups are kept in step as interactions arrive; this is for after a
bulk import or restore, a change to how rollups are bucketed, or to check
them (--check compares without writing, and fails if they differ). While it
runs on PostgreSQL, writers of interactions (the inbox worker) wait.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import CreatorProfile
from analytics import rollups, services


class Command(BaseCommand):
    help = "Recount the analytics rollups from the raw interactions."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--creator", help="only this creator's (their handle)")
        parser.add_argument(
            "--check",
            action="store_true",
            help="compare the rollups with a recount, change nothing; exit 1 "
            "if they differ",
        )

    def handle(self, *args, creator: str | None, check: bool, **options) -> None:
        profile = None
        if creator:
            profile = CreatorProfile.objects.filter(
                handle=creator.lstrip("@").lower()
            ).first()
            if profile is None:
                raise CommandError(f"No creator @{creator.lstrip('@')}.")
        whose = f"@{profile.handle}'s" if profile else "all"
        if check:
            self._check(profile, whose)
            return
        written = services.rollups_rebuild(creator=profile)
        summary = ", ".join(f"{name} {rows}" for name, rows in written.items())
        self.stdout.write(f"Rebuilt {whose} rollups: {summary} rows.")

    def _check(self, profile: CreatorProfile | None, whose: str) -> None:
        creator_id = profile.pk if profile else None
        expected = rollups.rollups_expected(creator_id=creator_id)
        stored = rollups.rollups_stored(creator_id=creator_id)
        wrong = 0
        for table, rows in expected.items():
            have = stored[table]
            for key in sorted(set(rows) | set(have), key=repr):
                if rows.get(key) != have.get(key):
                    wrong += 1
                    if wrong <= 20:
                        self.stdout.write(
                            f"{table} {key}: holds {have.get(key)}, "
                            f"should hold {rows.get(key)}"
                        )
        if wrong:
            raise CommandError(f"{wrong} rollup rows differ from a recount.")
        self.stdout.write(f"{whose.capitalize()} rollups match the interactions.")
