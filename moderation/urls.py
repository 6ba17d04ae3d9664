"""The moderation pages.

A creator's (and the agency people they allowed) under /dashboard/, keyed
by handle like the inbox; the instance's, for admins, under /moderation/.
"""

from django.urls import path

from moderation.views import audit, blocks, policies, queue, reports, rules

app_name = "moderation"

urlpatterns = [
    # A creator's queue, rules and blocks.
    path("dashboard/moderation/", queue.moderation_index, name="index"),
    path("dashboard/@<str:handle>/moderation/", queue.creator_queue, name="queue"),
    path(
        "dashboard/@<str:handle>/moderation/rules/",
        rules.creator_rules,
        name="rules",
    ),
    path(
        "dashboard/@<str:handle>/moderation/blocked/",
        blocks.creator_blocks,
        name="blocks",
    ),
    path(
        "dashboard/moderation/blocked/<int:pk>/unblock/",
        blocks.block_remove,
        name="unblock",
    ),
    # Acting on replies (from either queue).
    path("dashboard/moderation/replies/", queue.replies_bulk, name="replies-bulk"),
    path("dashboard/moderation/replies/<int:pk>/", queue.reply_act, name="reply-act"),
    path(
        "dashboard/moderation/replies/<int:pk>/report/",
        queue.reply_report,
        name="reply-report",
    ),
    # The instance, for admins.
    path("moderation/", queue.instance_queue, name="instance-queue"),
    path("moderation/rules/", rules.instance_rules, name="instance-rules"),
    path("moderation/servers/", policies.policy_list, name="policies"),
    path("moderation/servers/new/", policies.policy_create, name="policy-create"),
    path("moderation/servers/import/", policies.policy_import, name="policy-import"),
    path(
        "moderation/servers/export.csv",
        policies.policy_export,
        name="policy-export",
    ),
    path("moderation/servers/<int:pk>/", policies.policy_edit, name="policy-edit"),
    path(
        "moderation/servers/<int:pk>/delete/",
        policies.policy_delete,
        name="policy-delete",
    ),
    path("moderation/reports/", reports.report_list, name="reports"),
    path("moderation/reports/<int:pk>/", reports.report_detail, name="report"),
    path(
        "moderation/reports/<int:pk>/forward/",
        reports.report_forward,
        name="report-forward",
    ),
    path("moderation/log/", audit.audit_log, name="audit"),
]
