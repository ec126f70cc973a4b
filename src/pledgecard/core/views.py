from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render

from pledgecard.core.models import Job, Membership, Role


def privacy(request):
    return render(request, "core/privacy.jinja", {"page_title": "How we use your information"})


def bare(request):
    """The benchmark's baseline: the cheapest page Django can serve, through the same middleware. Only for the
    benchmarks (PLEDGECARD_BENCH=1): anywhere else it is a page nobody needs, so it is not there (404)."""
    if not settings.PLEDGECARD_BENCH:
        raise Http404("No such page.")
    return HttpResponse("<!doctype html><title>ok</title><p>ok</p>")


def _job_for(user, job_id) -> Job:
    job = get_object_or_404(Job.objects.select_related("alliance"), pk=job_id)
    if not (user.is_superuser or job.started_by_id == user.pk or Membership.objects.filter(
            user=user, alliance_id=job.alliance_id, role=Role.ORGANISER).exists()):
        raise PermissionDenied("This is another alliance's work.")
    return job


@login_required
def job_detail(request, job_id):
    """How far a long job (an import) has got. Works without JavaScript: the page says how far, and has a link
    to look again; with JavaScript it updates itself."""
    job = _job_for(request.user, job_id)
    # Problems by line ("Line 3: email: ..."), as an error summary lists them.
    errors = [{"text": (f"Line {line}: " if line else "") + text} for line, text in job.result.get("errors", [])]
    title = {Job.Status.DONE: "Done", Job.Status.FAILED: "It stopped"}.get(job.status, "Working on it")
    return render(request, "core/job.jinja", {"job": job, "errors": errors, "page_title": title})


@login_required
def job_status(request, job_id):
    job = _job_for(request.user, job_id)
    return JsonResponse({"status": job.status, "done": job.done, "total": job.total, "percent": job.percent,
                         "text": job.progress_text, "finished": job.finished})
