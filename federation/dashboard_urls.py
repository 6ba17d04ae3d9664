"""The creator's inbox in the dashboard, under /dashboard/.

Pages of one creator are keyed by handle ("@alice"), like the posts pages;
a follow, post or reply by id (the lookup checks whose it is).
"""

from django.urls import path

from analytics.views import answers
from federation.views import dashboard

app_name = "inbox"

urlpatterns = [
    path("inbox/", dashboard.inbox_index, name="index"),
    path("@<str:handle>/notifications/", dashboard.notifications, name="notifications"),
    path("@<str:handle>/followers/", dashboard.followers, name="followers"),
    path(
        "@<str:handle>/followers/requests/",
        dashboard.follow_requests,
        name="follow-requests",
    ),
    path("follows/<int:pk>/approve/", dashboard.follow_approve, name="follow-approve"),
    path("follows/<int:pk>/reject/", dashboard.follow_reject, name="follow-reject"),
    path("follows/<int:pk>/remove/", dashboard.follower_remove, name="follower-remove"),
    path("thread/<int:pk>/", dashboard.post_replies, name="post-replies"),
    path("replies/<int:pk>/answer/", answers.reply_answer, name="reply-answer"),
]
