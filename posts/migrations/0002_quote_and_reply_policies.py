import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="post",
            name="quote_policy",
            field=models.CharField(
                choices=[
                    ("anyone", "Anyone"),
                    ("approval", "Anyone, once I approve"),
                    ("followers", "My followers"),
                    ("nobody", "Nobody but me"),
                ],
                default="anyone",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="post",
            name="reply_policy",
            field=models.CharField(
                choices=[
                    ("anyone", "Anyone"),
                    ("followers", "My followers"),
                    ("mentioned", "Only people I mention"),
                ],
                default="anyone",
                max_length=16,
            ),
        ),
        migrations.CreateModel(
            name="QuoteRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("request_id", models.URLField(max_length=500, unique=True)),
                ("actor_uri", models.URLField(max_length=500)),
                ("actor_handle", models.CharField(blank=True, max_length=320)),
                ("quote_uri", models.URLField(max_length=500)),
                ("quote_url", models.URLField(blank=True, max_length=500)),
                ("quote_excerpt", models.TextField(blank=True)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for you"),
                            ("accepted", "Allowed"),
                            ("refused", "Refused"),
                            ("revoked", "Permission withdrawn"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("reason", models.CharField(blank=True, max_length=255)),
                (
                    "received_at",
                    models.DateTimeField(default=django.utils.timezone.now),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                (
                    "post",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="quote_requests",
                        to="posts.post",
                    ),
                ),
            ],
            options={
                "ordering": ["-received_at"],
                "indexes": [
                    models.Index(
                        fields=["post", "state"], name="quote_request_post_idx"
                    ),
                    models.Index(fields=["quote_uri"], name="quote_request_quote_idx"),
                ],
            },
        ),
    ]
