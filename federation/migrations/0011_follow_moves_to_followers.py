# Follow now belongs to the followers app (its 0001 takes over the table).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("federation", "0010_fanout_sweep_index"),
        ("followers", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Follow")],
            database_operations=[],
        ),
    ]
