from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("followers", "0001_initial"),
        ("federation", "0011_follow_moves_to_followers"),
    ]

    operations = [
        migrations.AlterModelTable(name="follow", table=None),
    ]
