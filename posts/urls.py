"""The posts dashboard, under /posts/.

Pages of one creator are keyed by handle ("@alice"), so an agency member
sees at a glance whose posts they are handling; a post's own pages by id.
"""

from django.urls import path

from posts.views import compose, imports, lists, post, team
from posts.views import quotes as quote_views

app_name = "posts"

urlpatterns = [
    path("posts/", lists.posts_index, name="index"),
    path("posts/import/", imports.archive_import, name="import"),
    path(
        "posts/import/<int:pk>/",
        imports.archive_import_status,
        name="import-status",
    ),
    path(
        "posts/import/<int:pk>/retry/",
        imports.archive_import_retry,
        name="import-retry",
    ),
    path("posts/@<str:handle>/", lists.posts_queue, name="queue"),
    path("posts/@<str:handle>/calendar/", lists.posts_calendar, name="calendar"),
    path("posts/@<str:handle>/new/", compose.post_compose, name="compose"),
    path("posts/@<str:handle>/preview/", compose.post_preview, name="preview"),
    path("posts/<int:pk>/", post.post_detail, name="detail"),
    path("posts/<int:pk>/edit/", compose.post_edit, name="edit"),
    path("posts/<int:pk>/publish/", post.post_publish_now, name="publish"),
    path("posts/<int:pk>/schedule/", post.post_reschedule, name="schedule"),
    path("posts/<int:pk>/unschedule/", post.post_unschedule, name="unschedule"),
    path("posts/<int:pk>/pin/", post.post_pin, name="pin"),
    path("posts/<int:pk>/unpin/", post.post_unpin, name="unpin"),
    path("posts/<int:pk>/delete/", post.post_delete, name="delete"),
    path(
        "posts/quotes/<int:pk>/approve/",
        quote_views.quote_approve,
        name="quote-approve",
    ),
    path(
        "posts/quotes/<int:pk>/refuse/", quote_views.quote_refuse, name="quote-refuse"
    ),
    path(
        "posts/quotes/<int:pk>/withdraw/",
        quote_views.quote_withdraw,
        name="quote-withdraw",
    ),
    path("posts/<int:pk>/submit/", post.post_submit, name="submit"),
    path("posts/<int:pk>/approve/", post.post_approve, name="approve"),
    path("posts/<int:pk>/send-back/", post.post_send_back, name="send-back"),
    path("posts/team-activity/", team.team_activity, name="team-activity"),
    path(
        "posts/agency/<slug:slug>/calendar/",
        team.agency_calendar,
        name="agency-calendar",
    ),
]
