"""manage.py demo: fill a development database with logins to try things.

Safe to run again: every row is looked up first and brought back to the
described state, never duplicated. It refuses to run with DEBUG off unless
--force is given, so it cannot run implicitly in production.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services
from accounts.models import (
    Agency,
    AgencyAccess,
    AgencyMembership,
    AgencyRole,
    AgencyScope,
    ApiToken,
    ApiTokenScope,
    CreatorProfile,
    User,
)

DEMO_PASSWORD = "demo-password"  # noqa: S105 - documented, DEBUG-only demo data
DEMO_EMAIL_DOMAIN = "example.com"  # reserved for documentation (RFC 2606)
AGENCY_NAME = "Demo Agency"
AGENCY_SLUG = "demo-agency"
DEMO_TOKEN_NAME = "Demo token"  # noqa: S105 - a label, not a secret


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    sees: str


LOGINS = (
    Login("demo", "creator @demo", "their own profile, posts and analytics"),
    Login(
        "other",
        "creator @other",
        "only themself; Demo Agency cannot see them",
    ),
    Login(
        "owner",
        f"owner of {AGENCY_NAME}",
        "the agency's team and @demo (who granted access), not @other",
    ),
    Login(
        "analyst",
        f"analyst at {AGENCY_NAME}",
        "@demo and @nova read-only (granted access), not @other",
    ),
    Login(
        "manager",
        f"manager at {AGENCY_NAME}",
        "@demo (may publish) and @nova (drafts for approval, answers "
        "replies); switches between them in the header; one reply inbox "
        "for both",
    ),
    Login(
        "nova",
        "creator @nova",
        f"posts {AGENCY_NAME} wrote for their approval (dashboard, notifications)",
    ),
    Login("admin", "instance admin (staff)", "the admin site"),
)


class Command(BaseCommand):
    help = (
        "Create or refresh demo users, creators and an agency. Development "
        "only: refuses to run with DEBUG off unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help=f"Password for every demo login (default: {DEMO_PASSWORD!r}).",
        )
        parser.add_argument(
            "--url",
            help="Site address to print (default: CREATORHUB_SCHEME://"
            "CREATORHUB_DOMAIN; `make run` serves http://127.0.0.1:8000).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off. Never do this in production.",
        )

    def handle(self, *args, password=None, url=None, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo data with DEBUG off: this looks like "
                "production. Pass --force if you really mean it."
            )
        password = password or DEMO_PASSWORD
        url = url or f"{settings.CREATORHUB_SCHEME}://{settings.CREATORHUB_DOMAIN}"
        try:
            tokens = self.create_demo_data(password=password)
        except ValidationError as exc:
            raise CommandError(f"Could not create demo data: {exc}") from exc
        self.report(password=password, url=url.rstrip("/"), tokens=tokens)

    @transaction.atomic
    def create_demo_data(self, *, password: str) -> dict[str, str]:
        """Bring every demo row to its described state; return API tokens."""
        demo = _ensure_creator(
            username="demo",
            handle="demo",
            password=password,
            display_name="Demo Creator",
            bio="A demo creator on Creator Hub. Posts here are made up.",
            links=[("Website", "https://example.com/demo")],
        )
        other = _ensure_creator(
            username="other",
            handle="other",
            password=password,
            display_name="Other Creator",
            bio="A creator who works with no agency.",
            links=[],
        )
        nova = _ensure_creator(
            username="nova",
            handle="nova",
            password=password,
            display_name="Nova Studio",
            bio="A second demo creator: the agency drafts, Nova approves.",
            links=[],
        )
        owner = _ensure_user(username="owner", password=password)
        analyst = _ensure_user(username="analyst", password=password)
        manager = _ensure_user(username="manager", password=password, first_name="Sam")
        admin = _ensure_user(username="admin", password=password, admin=True)

        agency, _ = Agency.objects.update_or_create(
            slug=AGENCY_SLUG, defaults={"name": AGENCY_NAME}
        )
        for user, role in (
            (owner, AgencyRole.OWNER),
            (analyst, AgencyRole.ANALYST),
            (manager, AgencyRole.MANAGER),
        ):
            AgencyMembership.objects.update_or_create(
                agency=agency, user=user, defaults={"role": role}
            )
        # @demo trusts the agency with everything; @nova lets it read, answer
        # replies and draft posts that wait for Nova's approval (manage.py
        # demo_approvals writes a few), so the manager's one reply inbox
        # holds both creators' replies.
        services.grant_agency_access(
            creator=demo.creator,
            agency=agency,
            scopes=AgencyScope.values,
            granted_by=demo,
        )
        services.grant_agency_access(
            creator=nova.creator,
            agency=agency,
            scopes=[
                AgencyScope.READ_ANALYTICS,
                AgencyScope.DRAFT_POSTS,
                AgencyScope.ANSWER_REPLIES,
            ],
            granted_by=nova,
        )
        # `other` must stay invisible to the agency, even if someone granted
        # access while trying things out.
        for access in AgencyAccess.objects.active().filter(
            creator=other.creator, agency=agency
        ):
            services.revoke_agency_access(access=access, revoked_by=other)

        users = (demo, other, nova, owner, analyst, manager, admin)
        # Secrets are not stored, so each run prints fresh ones: the
        # previous run's demo tokens go, never piling up.
        ApiToken.objects.filter(user__in=users, name=DEMO_TOKEN_NAME).delete()
        return {
            user.username: services.create_api_token(
                user=user, name=DEMO_TOKEN_NAME, scope=ApiTokenScope.WRITE
            )[1]
            for user in users
        }

    def report(self, *, password: str, url: str, tokens: dict[str, str]) -> None:
        rule = "=" * 72
        lines = [
            rule,
            "DEMO DATA — do not use in production",
            rule,
            f"Site:  {url}/login/",
            f"Admin: {url}/admin/",
            f"API:   {url}/api/docs/",
            "",
            f"Every login below uses the password: {password}",
            "",
        ]
        for login in LOGINS:
            lines.append(f"  {login.username:<8} {login.role}")
            lines.append(f"  {'':<8} sees {login.sees}")
            lines.append(f"  {'':<8} API token {tokens[login.username]}")
        lines += [
            "",
            f"Try: curl -H 'Authorization: Token {tokens['analyst']}' "
            f"{url}/api/v1/creators",
            rule,
        ]
        self.stdout.write(self.style.WARNING("\n".join(lines)))


def _ensure_user(
    *, username: str, password: str, admin: bool = False, first_name: str = ""
) -> User:
    user, _ = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@{DEMO_EMAIL_DOMAIN}"}
    )
    if first_name:
        user.first_name = first_name
    user.set_password(password)
    user.is_active = True
    user.is_staff = user.is_superuser = admin
    user.save()
    return user


def _ensure_creator(
    *,
    username: str,
    handle: str,
    password: str,
    display_name: str,
    bio: str,
    links: list[tuple[str, str]],
) -> User:
    if not User.objects.filter(username=username).exists():
        services.sign_up_creator(
            username=username,
            email=f"{username}@{DEMO_EMAIL_DOMAIN}",
            password=password,
            handle=handle,
        )
    user = _ensure_user(username=username, password=password)
    creator = CreatorProfile.objects.filter(user=user).first()
    if creator is None:
        creator = CreatorProfile.objects.create(
            user=user, handle=services.check_handle_available(handle)
        )
    services.update_creator_profile(
        creator=creator,
        display_name=display_name,
        bio=bio,
        share_to_fediverse=True,
        links=links,
    )
    user.creator = creator
    return user
