"""manage.py export_domain_policies [FILE]: server policies out, as the CSV
Mastodon imports (private notes stay here). Without FILE, to standard
output."""

from pathlib import Path

from django.core.management.base import BaseCommand

from moderation import selectors


class Command(BaseCommand):
    help = "Export server policies as a Mastodon domain-block CSV."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="where to write (default: stdout)")

    def handle(self, *args, file: str | None, **kwargs):
        data = selectors.domain_policies_csv()
        if file:
            Path(file).write_text(data, encoding="utf-8")
        else:
            self.stdout.write(data, ending="")
