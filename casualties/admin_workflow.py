"""The editorial workflow in the admin, for any model with a status that moves only through
workflow steps (claims, named records): who may take which step, the buttons on the change
page, and the page that asks why and takes the step through the model's services.

A model admin using it sets ``transitions`` (step → (from statuses, to status)),
``transition_services`` (step → service taking ``<service_arg>=obj, user, expected_version``
and ``reason`` or, to send back, ``note``), ``service_arg`` and ``publish_permission``.
"""

from django.contrib.admin.utils import unquote
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from casualties.concurrency import EditConflict, sign_version, unsign_version
from casualties.workflow import IllegalTransition

# The steps shown as buttons, in this order, and their labels.
TRANSITION_LABELS = {
    "submit": "Submit for review",
    "publish": "Publish",
    "send_back": "Send back to draft",
    "retract": "Retract",
}


class WorkflowAdminMixin:
    transitions: dict = {}
    transition_services: dict = {}
    service_arg = "obj"
    publish_permission = ""
    # The model's Status.DRAFT, set by each admin (none here: an admin that forgets it lets
    # only reviewers change anything, rather than editors everything).
    draft_status = ""

    def can_review(self, request):
        return request.user.has_perm(self.publish_permission)

    def has_change_permission(self, request, obj=None):
        # Editors change drafts; what is in review or published is the reviewers'.
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None and obj.status != self.draft_status:
            return self.can_review(request)
        return allowed

    def may_take(self, request, obj, name) -> bool:
        """Whether this user's role may take the step ``name`` (whatever the status)."""
        if name == "submit":
            return super().has_change_permission(request, obj)
        return self.can_review(request)

    def allowed_transitions(self, request, obj):
        """The workflow steps this user may take on ``obj`` now."""
        return [
            name
            for name in TRANSITION_LABELS
            if obj.status in self.transitions[name][0] and self.may_take(request, obj, name)
        ]

    def _url_name(self, view):
        return f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_urls(self):
        return [
            path(
                "<path:object_id>/transition/<slug:name>/",
                self.admin_site.admin_view(self.transition_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_transition",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The step buttons, from the object the change view has read (not read again).
        context["transitions"] = [
            (TRANSITION_LABELS[name], reverse(self._url_name("transition"), args=[obj.pk, name]))
            for name in (self.allowed_transitions(request, obj) if obj is not None else ())
        ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def transition_view(self, request, object_id, name):
        """Confirm a workflow step with a reason (a note to send back), then take it."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None or name not in TRANSITION_LABELS:
            raise Http404
        if not self.may_take(request, obj, name):
            raise PermissionDenied
        label, thing = TRANSITION_LABELS[name], self.opts.verbose_name
        change_url = reverse(self._url_name("change"), args=[obj.pk])
        status, error = 200, ""
        if request.method == "POST":
            reason = (request.POST.get("reason") or "").strip()
            try:
                expected = unsign_version(request.POST.get("version", ""))
            except (signing.BadSignature, ValueError):
                expected = None
            if expected is None:
                error = "This page does not say which revision it was opened at; reload it."
                status = 400
            elif not reason:
                error = "Say why; the reason is kept in the history."
            else:
                kwargs = {"note": reason} if name == "send_back" else {"reason": reason}
                kwargs[self.service_arg] = obj
                try:
                    self.transition_services[name](
                        user=request.user, expected_version=expected, **kwargs
                    )
                except EditConflict:
                    obj = self.get_object(request, unquote(object_id))
                    error = (
                        f"Not done: someone changed this {thing} since you opened this page. "
                        "Check it and try again."
                    )
                    status = 409
                except IllegalTransition as exc:
                    error, status = str(exc), 409
                else:
                    self.message_user(request, f"{label}: {obj} is now {obj.get_status_display()}.")
                    return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": f"{label}: {obj}",
            "step": name,
            "label": label,
            "reason_label": "Note to the editor (what to change)"
            if name == "send_back"
            else "Reason",
            "version": sign_version(obj.version),
            "reason": request.POST.get("reason", ""),
            "error": error,
            "change_url": change_url,
        }
        return TemplateResponse(
            request, "admin/claims/claim/transition.html", context, status=status
        )
