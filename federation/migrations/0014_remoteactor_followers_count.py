from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("federation", "0013_remoteinstance_signature_standard"),
    ]

    operations = [
        migrations.AddField(
            model_name="remoteactor",
            name="followers_count",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="remoteactor",
            name="followers_count_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
