# Follow moves here from federation: the table and its rows stay as they
# are (state only); 0002 gives the table this app's name.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0003_inboxui_last_seen_notifications"),
        ("federation", "0010_fanout_sweep_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Follow",
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
                        ("follow_activity_id", models.URLField(max_length=500)),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("pending", "Waiting for approval"),
                                    ("accepted", "Following"),
                                    ("rejected", "Rejected"),
                                ],
                                default="pending",
                                max_length=16,
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now),
                        ),
                        ("accepted_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "creator",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="follows",
                                to="accounts.creatorprofile",
                            ),
                        ),
                        (
                            "actor",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="follows",
                                to="federation.remoteactor",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "federation_follow",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("state", "accepted")),
                                fields=["creator", "id"],
                                name="follow_accepted_idx",
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("creator", "actor"),
                                name="follow_once_per_creator",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
