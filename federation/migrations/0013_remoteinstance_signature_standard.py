from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("federation", "0012_remoteinstance_inbox_limited"),
    ]

    operations = [
        migrations.AddField(
            model_name="remoteinstance",
            name="signature_standard",
            field=models.CharField(
                choices=[
                    ("unknown", "not known yet (draft-cavage)"),
                    ("rfc9421", "RFC 9421"),
                    ("cavage", "draft-cavage only"),
                ],
                default="unknown",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="remoteinstance",
            name="signature_standard_learned_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
