from django.urls import path

from . import api

urlpatterns = [
    path("replies", api.ReplyInboxView.as_view(), name="api-replies"),
    path(
        "replies/<int:pk>/assign",
        api.ConversationAssignView.as_view(),
        name="api-reply-assign",
    ),
    path(
        "replies/<int:pk>/done",
        api.ConversationDoneView.as_view(),
        name="api-reply-done",
    ),
    path(
        "replies/<int:pk>/reopen",
        api.ConversationReopenView.as_view(),
        name="api-reply-reopen",
    ),
]
