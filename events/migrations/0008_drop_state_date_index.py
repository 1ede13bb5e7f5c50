# The (state, effective_date) index of 0007 made SQLite, which has no statistics here, walk the time
# slice along it: tens of minutes at a million changes. The admin's state filters walk the date index.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0007_faction_and_state_date_indexes'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='controlchange',
            name='change_state_date_idx',
        ),
    ]
