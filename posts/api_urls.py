from django.urls import path

from . import api

urlpatterns = [
    path(
        "creators/<str:handle>/posts",
        api.CreatorPostListView.as_view(),
        name="api-creator-post-list",
    ),
    path("posts/<int:pk>", api.PostDetailView.as_view(), name="api-post-detail"),
    path(
        "posts/<int:pk>/publish", api.PostPublishView.as_view(), name="api-post-publish"
    ),
    path(
        "posts/<int:pk>/schedule",
        api.PostScheduleView.as_view(),
        name="api-post-schedule",
    ),
    path(
        "posts/<int:pk>/unschedule",
        api.PostUnscheduleView.as_view(),
        name="api-post-unschedule",
    ),
    path("posts/<int:pk>/submit", api.PostSubmitView.as_view(), name="api-post-submit"),
    path(
        "posts/<int:pk>/approve", api.PostApproveView.as_view(), name="api-post-approve"
    ),
    path(
        "posts/<int:pk>/send-back",
        api.PostSendBackView.as_view(),
        name="api-post-send-back",
    ),
    path("posts/<int:pk>/pin", api.PostPinView.as_view(), name="api-post-pin"),
    path("posts/<int:pk>/unpin", api.PostUnpinView.as_view(), name="api-post-unpin"),
    path(
        "posts/<int:pk>/media",
        api.PostMediaUploadView.as_view(),
        name="api-post-media-create",
    ),
    path(
        "posts/<int:pk>/media/<int:media_pk>",
        api.PostMediaDetailView.as_view(),
        name="api-post-media-detail",
    ),
]
