"""Recompute every record's ``search_text``: the sound keys' folds changed (a/e, y/i before
-ie-, h/g/k/q, an h left out, -off, the vowel before -yan; casualties.names), so stored keys
made by the old folds would no longer meet the new ones in search. Read in chunks and written
in batches, so memory stays flat on a large register; historical rows are left as they were.
``name_latin`` is unchanged (``casualties.names.latin`` did not change)."""

from django.db import migrations

BATCH = 2000


def refold(apps, schema_editor):
    from casualties.names import search_text

    CasualtyRecord = apps.get_model("casualties", "CasualtyRecord")
    rows = CasualtyRecord.objects.order_by("pk").only(
        "pk", "name", "name_transliterated", "aliases", "search_text"
    )
    changed = []
    for record in rows.iterator(chunk_size=BATCH):
        text = search_text(record.name, record.name_transliterated, record.aliases)
        if text != record.search_text:
            record.search_text = text
            changed.append(record)
        if len(changed) >= BATCH:
            CasualtyRecord.objects.bulk_update(changed, ["search_text"])
            changed = []
    if changed:
        CasualtyRecord.objects.bulk_update(changed, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [("casualties", "0007_stored_figures")]

    operations = [migrations.RunPython(refold, migrations.RunPython.noop)]
