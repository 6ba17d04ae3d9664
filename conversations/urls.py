"""The one reply inbox across creators, in the dashboard."""

from django.urls import path

from conversations import views

app_name = "conversations"

urlpatterns = [
    path("dashboard/replies/", views.reply_inbox, name="inbox"),
    path("dashboard/replies/new", views.reply_inbox_new, name="new"),
    path(
        "dashboard/replies/<int:pk>/assign",
        views.conversation_assign,
        name="assign",
    ),
    path("dashboard/replies/<int:pk>/done", views.conversation_done, name="done"),
    path(
        "dashboard/replies/<int:pk>/reopen",
        views.conversation_reopen,
        name="reopen",
    ),
]
