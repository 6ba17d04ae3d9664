"""REST API (/api/v1/) for the one reply inbox (replies, quotes and
mentions): the list with the pages' filters, assigning a conversation,
marking it done and reopening it.

Same rules as the pages (conversations.selectors.inbox_access_for): a reply
the user may not read answers 404; acting on one needs the answer scope
(403).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.api import ApiView, ListApiView, error_responses
from accounts.models import User
from analytics.models import Software
from conversations import selectors, services

FILTER_PARAMETERS = [
    OpenApiParameter("creator", str, description="A creator's handle"),
    OpenApiParameter("platform", str, enum=Software.values),
    OpenApiParameter("server", str, description="The author's server"),
    OpenApiParameter(
        "kind",
        str,
        enum=list(selectors.KINDS),
        description="Only replies, quotes or mentions",
    ),
    OpenApiParameter("unanswered", bool, description="Only those nobody answered"),
    OpenApiParameter(
        "held", bool, description="Only held replies (needs the moderate scope)"
    ),
    OpenApiParameter("mine", bool, description="Only those assigned to you"),
]


class ReplyItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    creator = serializers.CharField(source="creator.handle")
    kind = serializers.ChoiceField(
        choices=list(selectors.KINDS),
        read_only=True,
        help_text="reply or quote (on a post of the creator's), or mention "
        "(outside their threads: no post_id)",
    )
    author_handle = serializers.CharField(source="actor_handle")
    author_name = serializers.CharField(source="actor_name")
    author_url = serializers.CharField(source="actor_uri")
    server = serializers.CharField(source="instance_domain")
    platform = serializers.CharField(source="software")
    post_id = serializers.IntegerField(allow_null=True)
    ap_id = serializers.CharField()
    content_html = serializers.CharField(help_text="Sanitised on arrival")
    received_at = serializers.DateTimeField()
    state = serializers.SerializerMethodField(
        help_text="unanswered, answered, done or held"
    )
    answered_by = serializers.CharField(source="answer_by", allow_null=True)
    assigned_to = serializers.SerializerMethodField()
    done_at = serializers.SerializerMethodField()

    class Meta:
        ref_name = "InboxReply"

    def get_state(self, reply) -> str:
        return selectors.item_state(reply)

    def _conversation(self, reply):
        return getattr(reply, "conversation", None)

    def get_assigned_to(self, reply) -> str | None:
        conversation = self._conversation(reply)
        person = conversation.assigned_to if conversation else None
        return person.username if person else None

    def get_done_at(self, reply) -> str | None:
        conversation = self._conversation(reply)
        if conversation is None or conversation.done_at is None:
            return None
        return conversation.done_at.isoformat()


class ReplyInboxView(ListApiView):
    @extend_schema(
        operation_id="replies_list",
        summary="Replies, quotes and mentions for every creator you may read, "
        "newest first",
        parameters=FILTER_PARAMETERS,
        responses={200: ReplyItemSerializer(many=True), **error_responses(401)},
    )
    def get(self, request):
        access = selectors.inbox_access_for(request.user)
        filters = selectors.inbox_filters_from(request.query_params)
        rows = selectors.reply_inbox(user=request.user, access=access, filters=filters)
        return self.paginated_response(rows, ReplyItemSerializer)


def _reply(request, pk: int):
    access = selectors.inbox_access_for(request.user)
    reply = selectors.inbox_reply_get(user=request.user, access=access, pk=pk)
    if reply is None:
        raise Http404("No such reply.")
    return access, reply


def _response(request, access, reply) -> Response:
    fresh = selectors.inbox_reply_get(user=request.user, access=access, pk=reply.pk)
    return Response(ReplyItemSerializer(fresh).data)


class ConversationAssignView(ApiView):
    class InputSerializer(serializers.Serializer):
        assigned_to = serializers.CharField(
            allow_null=True,
            help_text="A teammate's username (an agency member who may answer "
            "for the creator), or null for nobody.",
        )

        class Meta:
            ref_name = "ConversationAssign"

    @extend_schema(
        operation_id="replies_assign",
        summary="Assign the conversation to a teammate",
        request=InputSerializer,
        responses={200: ReplyItemSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, pk: int):
        access, reply = _reply(request, pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["assigned_to"]
        to = None
        if username:
            to = User.objects.filter(username=username).first()
            if to is None:
                raise serializers.ValidationError(
                    {
                        "assigned_to": [
                            "Only a teammate who may answer for this creator."
                        ]
                    }
                )
        try:
            services.conversation_assign(reply=reply, to=to, by=request.user)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return _response(request, access, reply)


class ConversationDoneView(ApiView):
    @extend_schema(
        operation_id="replies_done",
        summary="Mark the conversation done",
        request=None,
        responses={200: ReplyItemSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, pk: int):
        access, reply = _reply(request, pk)
        services.conversation_mark_done(reply=reply, by=request.user)
        return _response(request, access, reply)


class ConversationReopenView(ApiView):
    @extend_schema(
        operation_id="replies_reopen",
        summary="Open a done conversation again",
        request=None,
        responses={200: ReplyItemSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, pk: int):
        access, reply = _reply(request, pk)
        services.conversation_reopen(reply=reply, by=request.user)
        return _response(request, access, reply)
