from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The shared cache (settings.CACHES) is a table; making it here means `migrate` is all an installation needs.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_rate_counter")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
