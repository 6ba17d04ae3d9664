"""Each DRF authtoken key becomes a read-write ApiToken named "Token from
before", stored hashed, so scripts using it keep working. The old table's
plaintext keys are then deleted; rest_framework.authtoken is no longer
installed, so its table is read with SQL when it exists (databases made
before this change)."""

import datetime
import hashlib

from django.db import migrations
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"
NAME = "Token from before"


def _aware(value) -> datetime.datetime:
    """The raw column as an aware datetime (SQLite may give text, naive UTC)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


def copy_authtokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    table = connection.ops.quote_name(OLD_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {table}")  # noqa: S608
        rows = cursor.fetchall()
    ApiToken.objects.bulk_create(
        ApiToken(
            user_id=user_id,
            name=NAME,
            scope="write",
            prefix=key[:8],
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
            created_at=_aware(created),
        )
        for key, user_id, created in rows
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_apitoken")]

    operations = [
        migrations.RunPython(copy_authtokens, migrations.RunPython.noop),
    ]
