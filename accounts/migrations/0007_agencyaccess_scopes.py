"""Consent scopes replace the single "may manage posts" flag.

Everyone with access keeps reading analytics; an agency that could manage
posts may now draft, publish and answer replies, as it could before.
"""

from django.db import migrations, models


def flag_to_scopes(apps, schema_editor):
    AgencyAccess = apps.get_model("accounts", "AgencyAccess")
    AgencyAccess.objects.update(read_analytics=True)
    AgencyAccess.objects.filter(allow_post_management=True).update(
        draft_posts=True, publish_posts=True, answer_replies=True
    )


def scopes_to_flag(apps, schema_editor):
    AgencyAccess = apps.get_model("accounts", "AgencyAccess")
    AgencyAccess.objects.filter(publish_posts=True).update(allow_post_management=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_loginsession"),
    ]

    operations = [
        migrations.AddField(
            model_name="agencyaccess",
            name="read_analytics",
            field=models.BooleanField(
                default=True, help_text="See your followers, engagement and reports."
            ),
        ),
        migrations.AddField(
            model_name="agencyaccess",
            name="draft_posts",
            field=models.BooleanField(
                default=False,
                help_text="Write and schedule posts that wait for your approval.",
            ),
        ),
        migrations.AddField(
            model_name="agencyaccess",
            name="publish_posts",
            field=models.BooleanField(
                default=False,
                help_text="Publish, schedule, edit and delete posts without "
                "asking you.",
            ),
        ),
        migrations.AddField(
            model_name="agencyaccess",
            name="answer_replies",
            field=models.BooleanField(
                default=False, help_text="Answer replies to your posts in your name."
            ),
        ),
        migrations.AddField(
            model_name="agencyaccess",
            name="moderate_replies",
            field=models.BooleanField(
                default=False,
                help_text="Approve, hide or remove replies, and answer follow "
                "requests.",
            ),
        ),
        migrations.RunPython(flag_to_scopes, scopes_to_flag),
        migrations.RemoveField(model_name="agencyaccess", name="allow_post_management"),
    ]
