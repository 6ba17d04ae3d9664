"""Importing old posts from a Mastodon archive (posts.archive)."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from posts import archive
from posts.models import ArchiveImport
from posts.tasks import queue_archive_import

# The page polls while an import waits or runs.
POLL_SECONDS = 2


def _own_creator(request):
    creator = getattr(request.user, "creator", None)
    if creator is None:
        raise Http404("Only creators can import their old posts.")
    return creator


def _row(job: ArchiveImport) -> dict:
    running = job.state in (ArchiveImport.State.QUEUED, ArchiveImport.State.RUNNING)
    percent = 100 * job.done_items // job.total_items if job.total_items else 0
    return {
        "job": job,
        "running": running,
        "percent": percent,
        "summary": archive.summary(job)
        if job.state == ArchiveImport.State.DONE
        else "",
    }


@require_http_methods(["GET", "POST"])
def archive_import(request):
    creator = _own_creator(request)
    if request.method == "POST":
        upload = request.FILES.get("archive")
        if upload is None:
            messages.error(request, "Choose the archive file first.")
        else:
            try:
                archive.archive_import_start(
                    creator=creator, upload=upload, by=request.user
                )
            except archive.ArchiveRefused as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    "Your archive is being imported. Your old posts appear on "
                    "your profile as they are read; nobody is notified.",
                )
        return redirect("posts:import")
    jobs = [_row(job) for job in creator.archive_imports.all()[:10]]
    return render(
        request,
        "posts/import.html",
        {
            "creator": creator,
            "imports": jobs,
            "poll_seconds": POLL_SECONDS,
            "max_megabytes": settings.ARCHIVE_IMPORT_MAX_BYTES // (1024 * 1024),
        },
    )


@require_GET
def archive_import_status(request, pk: int):
    """One import's progress (the fragment the page polls)."""
    creator = _own_creator(request)
    job = get_object_or_404(ArchiveImport, pk=pk, creator=creator)
    return render(
        request,
        "posts/_import_row.html",
        {**_row(job), "poll_seconds": POLL_SECONDS},
    )


@require_POST
def archive_import_retry(request, pk: int):
    """Hand a waiting import to the workers again (the broker was down)."""
    creator = _own_creator(request)
    job = get_object_or_404(ArchiveImport, pk=pk, creator=creator)
    if job.state == ArchiveImport.State.QUEUED:
        if queue_archive_import(job.pk):
            messages.success(request, "The import is handed to the workers again.")
        else:
            messages.error(
                request, "The task queue does not answer: try again in a minute."
            )
    return redirect("posts:import")
