"""manage.py demo_approvals: posts Demo Agency wrote for @nova's approval.

Run after `manage.py demo` (make run does): the manager drafts and sends
them through posts.services, as in the dashboard, so they are recorded on
the posts and in Nova's Team activity. Safe to run again: while @nova has
posts waiting for approval, nothing is added.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import CreatorProfile, User
from posts import services
from posts.forms import default_language
from posts.models import Post

PENDING = (
    (
        "New studio drop this Friday: ten prints, signed and numbered. #prints #studio",
        timedelta(days=2, hours=3),
    ),
    ("Thank you for 1,000 followers! A giveaway is coming next week.", None),
)


class Command(BaseCommand):
    help = "Posts the demo manager wrote for @nova's approval (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true")

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to create demo data with DEBUG off.")
        creator = CreatorProfile.objects.filter(handle="nova").first()
        manager = User.objects.filter(username="manager").first()
        if creator is None or manager is None:
            raise CommandError("No @nova or manager: run `manage.py demo` first.")
        waiting = Post.objects.filter(
            creator=creator, state=Post.State.PENDING_APPROVAL
        )
        if waiting.exists():
            self.stdout.write("@nova already has posts waiting: left as they are.")
            return
        with transaction.atomic():
            for body, later in PENDING:
                # In the language compose would start in (the creator's
                # latest post's, else en), as the API does: never none.
                data = services.PostInput(
                    body=body, language=default_language(creator=creator)
                )
                post = services.post_save_draft(creator=creator, by=manager, data=data)
                services.post_submit_for_approval(
                    post=post,
                    by=manager,
                    publish_at=timezone.now() + later if later else None,
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"@nova: {len(PENDING)} posts waiting for approval, written by "
                "manager (log in as nova to approve them)."
            )
        )
