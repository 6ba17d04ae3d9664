from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_agencyaccess_scopes"),
    ]

    operations = [
        migrations.AddField(
            model_name="creatorprofile",
            name="default_quote_policy",
            field=models.CharField(
                choices=[
                    ("anyone", "Anyone"),
                    ("approval", "Anyone, once I approve"),
                    ("followers", "My followers"),
                    ("nobody", "Nobody but me"),
                ],
                default="anyone",
                help_text="Who may quote your new posts. You can change it on "
                "each post.",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="creatorprofile",
            name="default_reply_policy",
            field=models.CharField(
                choices=[
                    ("anyone", "Anyone"),
                    ("followers", "My followers"),
                    ("mentioned", "Only people I mention"),
                ],
                default="anyone",
                help_text="Whose replies show on your new posts; the others "
                "wait for you to review them. You can change it on each post.",
                max_length=16,
            ),
        ),
    ]
