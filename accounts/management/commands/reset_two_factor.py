"""manage.py reset_two_factor <username>: for a user who lost their phone
and their recovery codes.

Removes their authenticator app and recovery codes, so their next log-in
takes the password only; they can set two-factor sign-in up again from the
Security page (or are sent there, when it is required for them). Logged in
the audit log as done from the command line. Check who is asking first.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.two_factor import two_factor_reset


class Command(BaseCommand):
    help = "Remove a user's two-factor devices (authenticator app, recovery codes)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is called {username!r}.")
        removed = two_factor_reset(user=user, by=None)
        if not removed:
            self.stdout.write(f"{username} had no two-factor sign-in; nothing changed.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Two-factor sign-in removed for {username}: their next log-in "
                "asks for the password only."
            )
        )
