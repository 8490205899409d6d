"""Who may do what: the editorial roles as data.

Three groups. Editors add and change drafts (and submit them for review); they cannot publish,
delete or restore revisions. Reviewers do what editors do, and publish, send back with a note,
retract, resolve contradiction flags, import claims, and restore revisions; they cannot delete
either. Administrators may do everything. ``sync_roles`` makes each group's permissions
exactly these; it runs from the data migration, after every ``migrate`` (so new permissions
join) and as ``manage.py sync_roles``.

Imports honour the same permissions: editors import the reference tables and the named
records, reviewers the claims too, and a file that would delete rows (a place's names missing
from its ``names`` cell, a claim's cited sources missing from its ``sources`` cell) needs the
permission to delete them, so only an administrator's import may remove them
(docs/import-export.md, "Who may import what").
"""

from django.apps import apps as global_apps
from django.db.models import Q

EDITOR, REVIEWER, ADMINISTRATOR = "editor", "reviewer", "administrator"
ROLES = [EDITOR, REVIEWER, ADMINISTRATOR]

# The editorial models (all tracked by history and versioned).
WORLD = ["conflict", "side", "party", "place", "placename", "event", "category", "casualtyrecord",
         "distinctpair"]  # fmt: skip
CLAIMS = ["claimant", "source", "claim", "claimsource"]
EDITABLE = [("casualties", m) for m in WORLD] + [("claims", m) for m in CLAIMS]


def _model_perms(actions, models):
    return {f"{app}.{action}_{model}" for action in actions for app, model in models}


EDITOR_PERMS = _model_perms(["view", "add", "change"], EDITABLE) | {
    "claims.view_contradictionflag",
}
REVIEWER_PERMS = EDITOR_PERMS | {
    "claims.change_contradictionflag",  # resolve flags
    "claims.publish_claim",  # publish, send back, retract; import claims
    "casualties.publish_casualtyrecord",  # the same for named records; import them published
    "claims.restore_revision",
}

# role → permissions ("app_label.codename"); None means every permission there is.
MATRIX: dict[str, set[str] | None] = {
    EDITOR: EDITOR_PERMS,
    REVIEWER: REVIEWER_PERMS,
    ADMINISTRATOR: None,
}


def sync_roles(apps=global_apps) -> dict[str, int]:
    """Create the groups and give each exactly the permissions of ``MATRIX``; returns counts."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    counts = {}
    for role, perms in MATRIX.items():
        group, _ = Group.objects.get_or_create(name=role)
        if perms is None:
            wanted = Permission.objects.all()
        else:
            q = Q(pk__in=[])
            for perm in perms:
                app_label, codename = perm.split(".")
                q |= Q(content_type__app_label=app_label, codename=codename)
            wanted = Permission.objects.filter(q)
        ids = list(wanted.values_list("pk", flat=True))
        group.permissions.set(ids)
        counts[role] = len(ids)
    return counts


def sync_roles_after_migrate(sender, apps=global_apps, **kwargs):
    """post_migrate: permissions added by new models or migrations join their roles."""
    sync_roles(apps)
