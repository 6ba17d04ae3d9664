"""manage.py unlock_login <username>: end a log-in lock-out now.

The same as the "Unlock log-in" action in the admin's user list, for when
no admin can log in (an admin locked out themselves). Logged in the audit
log as done from the command line.
"""

from django.core.management.base import BaseCommand

from accounts.throttle import is_locked_out, unlock_login


class Command(BaseCommand):
    help = "Forget a username's failed log-ins, ending any lock-out."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        was_locked = is_locked_out(username=username)
        unlock_login(username=username, by=None, via="command line")
        if was_locked:
            self.stdout.write(self.style.SUCCESS(f"{username} can log in again."))
        else:
            self.stdout.write(
                f"{username} was not locked out; its failed log-ins are forgotten."
            )
