from django.core.management.base import BaseCommand, CommandError

from federation import selectors
from federation.outbound import services


class Command(BaseCommand):
    help = (
        "Give a creator a new signing key pair and queue an Update of their "
        "actor to followers' servers, which then verify with the new key."
    )

    def add_arguments(self, parser):
        parser.add_argument("handle", help="the creator's handle, without @")

    def handle(self, *args, handle: str, **options):
        creator = selectors.creator_by_handle(handle.lstrip("@"))
        if creator is None:
            raise CommandError(f"no active creator with the handle {handle!r}")
        update = services.rotate_creator_key(creator=creator)
        if update is None:
            self.stdout.write(
                f"Rotated the key of @{creator.handle} (no followers to tell)."
            )
        else:
            self.stdout.write(
                f"Rotated the key of @{creator.handle}; an Update goes to its "
                "followers' servers (the post's delivery log shows its progress)."
            )
