"""Replies count in engagement only while shown (services.COUNTED_REPLY_STATUSES).

Before, held, hidden and removed replies kept their REPLY or QUOTE
interaction; this deletes those and recounts the rollups from what is left.
A database without such rows (every new one) does nothing here.
"""

from django.db import migrations


def uncount_unshown_replies(apps, schema_editor):
    interaction = apps.get_model("analytics", "Interaction")
    reply = apps.get_model("analytics", "Reply")
    unshown = reply.objects.exclude(status="visible").values("ap_id")
    counted = interaction.objects.filter(
        kind__in=["reply", "quote"], activity_id__in=unshown
    )
    if not counted.exists():
        return
    counted.delete()
    # The rollups module recounts from the interactions, as
    # `manage.py rebuild_rollups` does.
    from analytics import rollups

    rollups.rollups_rebuild()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0006_lean_indexes")]

    operations = [
        migrations.RunPython(uncount_unshown_replies, migrations.RunPython.noop),
    ]
