"""Identity cases (R-VER-5): filing from the person page, the province's inbox, a case and its photo."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from access.acting import admin_required
from access.custody import may_change_person
from audit.services import record

from ..case_photos import MAX_PHOTO_BYTES
from ..forms.cases import CaseForm, DecisionForm, UntangleForm
from ..idnumber import mask_id_number
from ..models import IdentityCase, IdentityCasePhoto
from ..selectors.cases import has_photo, inbox, is_operator, is_party
from ..services.cases import file_case, mark_verified_by_hand, reject_case, untangle
from .people import deny, page_of, person_in_scope, refusal_page

_FORM_MARGIN = 64 * 1024  # the form's text fields and the multipart framing around the photo


class PhotoLimit(FileUploadHandler):
    """Stops reading an upload once it passes the photo limit (the declared length first): the bytes beyond are
    never stored, the form's text fields before the photo are kept for the page shown again."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.request.photo_too_large = content_length > MAX_PHOTO_BYTES + _FORM_MARGIN
        self.received = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.request.photo_too_large:
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > MAX_PHOTO_BYTES:
            self.request.photo_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


def _too_large_error() -> ValidationError:
    return ValidationError({"photo": ValidationError(
        _("照片不能超过 %(mb)d MB，请压缩后再上传。") % {"mb": MAX_PHOTO_BYTES // (1024 * 1024)}, code="photo_too_large")})


@csrf_exempt
def file_case_view(request, pk):
    """The upload limit goes in before anything reads the body; the CSRF check then runs as usual."""
    request.photo_too_large = False
    request.upload_handlers.insert(0, PhotoLimit(request))
    return _file_case(request, pk=pk)


@csrf_protect
@refusal_page
@admin_required
def _file_case(request, acting, pk):
    person = person_in_scope(acting, pk)
    if person.pk == request.user.pk or not may_change_person(request.user, person):
        deny(request, action="identity_case.file", target=person, acting=acting,
             message=_("认证问题只能由此人所在组织或其直接上级的管理员提交。"))
    from_correct = request.method == "POST" and request.POST.get("from_correct") == "1"
    if from_correct:  # R-VER-2 refused this number on the correction page: start the case with it, nothing lost
        form = CaseForm(initial={"kind": IdentityCase.Kind.TANGLED, "id_number": request.POST.get("id_number", ""),
                                 "name": request.POST.get("name", "")})
    else:
        initial = {"kind": IdentityCase.Kind.WRONGLY_FAILED if person.verification_status == "failed"
                   else IdentityCase.Kind.TANGLED}
        form = CaseForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and not from_correct and form.is_valid():
        data = form.cleaned_data
        if request.photo_too_large:
            form.apply_errors(_too_large_error())
        else:
            try:
                file_case(actor=request.user, person=person, acting_org=acting, kind=data["kind"], note=data["note"],
                          photo=data["photo"], claimed_id_number=data["id_number"], claimed_name=data["name"])
            except ValidationError as exc:
                form.apply_errors(exc)
            else:
                messages.success(request, _("已提交省级团委处理，处理结果会通知您和本人。"))
                return redirect("people:detail", pk=person.pk)
    return render(request, "cases/file.html", {"form": form, "person": person})


def _is_inbox_org(org) -> bool:
    return org.depth <= 1  # the root, or a province's leading organ


@refusal_page
@admin_required
def inbox_view(request, acting):
    if not _is_inbox_org(acting):
        deny(request, action="identity_case.inbox", acting=acting,
             message=_("认证问题由省级团委的管理员处理：请切换到省级团委。"))
    status = request.GET.get("status", IdentityCase.Status.OPEN)
    if status not in IdentityCase.Status.values and status != "all":
        status = IdentityCase.Status.OPEN
    rows = inbox(acting, status="" if status == "all" else status)
    return render(request, "cases/inbox.html", {
        "page": page_of(request, rows), "status": status, "statuses": IdentityCase.Status.choices, "acting": acting,
    })


def _case_for(request, pk) -> IdentityCase:
    """A case its viewer is a party to; anyone else gets a 404, as for an id that does not exist."""
    case = get_object_or_404(IdentityCase.objects.select_related(
        "person", "other", "filed_by", "filed_org", "decided_by", "province"), pk=pk)
    if not is_party(request.user, case):
        raise Http404
    return case


@login_required
@refusal_page
def case_detail(request, pk):
    case = _case_for(request, pk)
    operator = is_operator(request.user, case) and request.user.pk not in (case.person_id, case.other_id)
    return render(request, "cases/detail.html", {
        "case": case, "operator": operator, "has_photo": has_photo(case),
        "untangle_form": UntangleForm(prefix="u") if operator and case.kind == IdentityCase.Kind.TANGLED else None,
        "decision_form": DecisionForm() if operator else None, "claimed_masked": mask_id_number(case.claimed_id_number),
        "is_person": request.user.pk == case.person_id,
    })


@login_required
@refusal_page
def case_photo(request, pk):
    case = _case_for(request, pk)
    photo = IdentityCasePhoto.objects.filter(case=case).first()
    if photo is None:
        raise Http404
    record(actor=request.user, action="identity_case.view_photo", target=case.person, case=case.pk)
    response = HttpResponse(bytes(photo.data), content_type=photo.content_type)
    extension = "png" if photo.content_type == "image/png" else "jpg"
    response["Content-Disposition"] = f'inline; filename="case-{case.pk}.{extension}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _decide(request, pk, *, form_class, act):
    case = _case_for(request, pk)
    form = form_class(request.POST, prefix="u" if form_class is UntangleForm else None)
    if form.is_valid():
        try:
            act(case, form.cleaned_data)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("已处理：%(s)s") % {"s": IdentityCase.objects.get(pk=case.pk).get_status_display()})
            return redirect("cases:detail", pk=case.pk)
    operator = is_operator(request.user, case)
    context = {"case": case, "operator": operator, "has_photo": has_photo(case),
               "claimed_masked": mask_id_number(case.claimed_id_number),
               "untangle_form": UntangleForm(prefix="u") if case.kind == IdentityCase.Kind.TANGLED else None,
               "decision_form": DecisionForm()}
    context["untangle_form" if form_class is UntangleForm else "decision_form"] = form
    return render(request, "cases/detail.html", context, status=400)


@require_POST
@refusal_page
@admin_required
def untangle_view(request, acting, pk):
    return _decide(request, pk, form_class=UntangleForm, act=lambda case, d: untangle(
        actor=request.user, case=case, decision=d["decision"], reason=d["reason"],
        other_id_number=d["other_id_number"], person_name=d["name"], other_name=d["other_name"], by_hand=d["by_hand"]))


@require_POST
@refusal_page
@admin_required
def verify_view(request, acting, pk):
    return _decide(request, pk, form_class=DecisionForm,
                   act=lambda case, d: mark_verified_by_hand(actor=request.user, case=case, reason=d["reason"]))


@require_POST
@refusal_page
@admin_required
def reject_view(request, acting, pk):
    return _decide(request, pk, form_class=DecisionForm,
                   act=lambda case, d: reject_case(actor=request.user, case=case, reason=d["reason"]))
