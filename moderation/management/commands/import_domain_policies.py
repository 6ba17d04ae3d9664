"""manage.py import_domain_policies FILE: a Mastodon domain-block list in.

Takes Mastodon's export (`#domain,#severity,#reject_media,#reject_reports,
#public_comment,#obfuscate`) or a bare list of domains (blocked). Servers
that already have a policy are kept as they are unless --update-existing.
`-` reads standard input.
"""

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from accounts.models import User
from moderation import services


class Command(BaseCommand):
    help = "Import server policies from a Mastodon domain-block CSV."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file, or - for standard input")
        parser.add_argument(
            "--update-existing",
            action="store_true",
            help="change servers that already have a policy to what the list says",
        )
        parser.add_argument(
            "--by", help="the admin's username to log it under (default: none)"
        )

    def handle(self, *args, file: str, update_existing: bool, by: str | None, **kw):
        user = None
        if by:
            user = User.objects.filter(username=by, is_staff=True).first()
            if user is None:
                raise CommandError(f"no admin called {by!r}")
        try:
            data = (
                sys.stdin.read()
                if file == "-"
                else Path(file).read_text(encoding="utf-8-sig")
            )
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        try:
            result = services.domain_policies_import(
                data=data,
                by=user,
                source=Path(file).name if file != "-" else "standard input",
                update_existing=update_existing,
            )
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from None
        for error in result.errors:
            self.stderr.write(error)
        self.stdout.write(
            f"{len(result.created)} new, {len(result.updated)} changed, "
            f"{len(result.skipped)} kept as they were, "
            f"{len(result.errors)} error{pluralize(len(result.errors))}"
        )
