"""REST API (/api/v1/): the signed-in user, creators and agencies.

One APIView per operation. Each view checks input with its InputSerializer,
asks accounts.selectors / accounts.permissions what the user may see, calls
a service for changes and answers with its OutputSerializer. Anything the
user may not see answers 404, as in the HTML views.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import permissions, selectors, services
from .models import MAX_PROFILE_LINKS, AgencyRole, AgencyScope, CreatorProfile
from .tokens import ApiTokenAuthentication, TokenScopeAllows

# Shared pieces -------------------------------------------------------------


class ApiPagination(LimitOffsetPagination):
    """`?limit=&offset=`, 50 per page by default and 200 at most."""

    max_limit = 200


class ApiView(APIView):
    """Base for every API view: explicit authentication and permissions.

    DRF marks its views exempt from LoginRequiredMiddleware; IsAuthenticated
    answers 401 in the common error shape instead of a login redirect. A
    read-only token gets 403 on any method that writes (TokenScopeAllows).
    """

    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated, TokenScopeAllows]
    parser_classes = [JSONParser]


class ListApiView(ApiView):
    pagination_class = ApiPagination

    def paginated_response(self, queryset, serializer_class, *, page_context=None):
        """One page of `queryset`; `page_context(page)` adds to the
        serializer's context what the page's rows need, read once a page."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        context = self.get_serializer_context()
        if page_context is not None:
            context |= page_context(page)
        serializer = serializer_class(page, many=True, context=context)
        return paginator.get_paginated_response(serializer.data)

    def get_serializer_context(self) -> dict:
        return {"request": self.request}


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer: {"error": {...}}."""

    class ErrorDetailSerializer(serializers.Serializer):
        code = serializers.CharField()
        message = serializers.CharField()
        fields = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Only on 400: the messages for each invalid field.",
        )

        class Meta:
            ref_name = "ErrorDetail"

    error = ErrorDetailSerializer()

    class Meta:
        ref_name = "Error"


def error_responses(*codes: int) -> dict:
    """The schema's error answers for these status codes (extend_schema)."""
    return dict.fromkeys(codes, ErrorSerializer)


class ProfileLinkSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=60)
    url = serializers.URLField(max_length=500)

    class Meta:
        ref_name = "ProfileLink"


class CreatorSerializer(serializers.Serializer):
    """A creator profile as the API shows it."""

    handle = serializers.CharField()
    fediverse_address = serializers.CharField(
        help_text="The address people on other servers follow, @handle@domain."
    )
    display_name = serializers.CharField()
    bio = serializers.CharField()
    time_zone = serializers.CharField()
    share_to_fediverse = serializers.BooleanField()
    approve_followers_manually = serializers.BooleanField()
    links = ProfileLinkSerializer(many=True, source="links.all")
    avatar_url = serializers.SerializerMethodField()
    header_url = serializers.SerializerMethodField()

    class Meta:
        ref_name = "Creator"

    @extend_schema_field(OpenApiTypes.URI)
    def get_avatar_url(self, creator: CreatorProfile) -> str | None:
        return self._absolute_url(creator.avatar)

    @extend_schema_field(OpenApiTypes.URI)
    def get_header_url(self, creator: CreatorProfile) -> str | None:
        return self._absolute_url(creator.header)

    def _absolute_url(self, image) -> str | None:
        if not image:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(image.url) if request else image.url


class AgencyForMemberSerializer(serializers.Serializer):
    """An agency seen by one of its members, with that member's role."""

    slug = serializers.SlugField(source="agency.slug")
    name = serializers.CharField(source="agency.name")
    role = serializers.ChoiceField(choices=AgencyRole.choices)
    created_at = serializers.DateTimeField(source="agency.created_at")

    class Meta:
        ref_name = "AgencyMembership"


# Me --------------------------------------------------------------------------


class MeView(ApiView):
    """The signed-in user: who they are and where they belong."""

    class OutputSerializer(serializers.Serializer):
        class UserSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            username = serializers.CharField()
            email = serializers.EmailField()
            is_admin = serializers.BooleanField(
                source="is_staff", help_text="Instance admins moderate."
            )

            class Meta:
                ref_name = "User"

        user = UserSerializer()
        creator = CreatorSerializer(
            allow_null=True, help_text="Null unless the user is a creator."
        )
        agencies = AgencyForMemberSerializer(many=True)

        class Meta:
            ref_name = "Me"

    @extend_schema(
        operation_id="me_retrieve",
        summary="The signed-in user",
        responses={200: OutputSerializer, **error_responses(401)},
    )
    def get(self, request):
        user = request.user
        data = {
            "user": user,
            "creator": selectors.creator_of_user(user=user),
            "agencies": selectors.membership_list_of(user=user),
        }
        serializer = self.OutputSerializer(data, context={"request": request})
        return Response(serializer.data)


class ProfileUpdateView(ApiView):
    """Change the signed-in creator's profile. The handle never changes."""

    class InputSerializer(serializers.Serializer):
        display_name = serializers.CharField(allow_blank=True, required=False)
        bio = serializers.CharField(allow_blank=True, required=False)
        time_zone = serializers.CharField(
            required=False, help_text="An IANA time zone, such as Europe/Paris."
        )
        share_to_fediverse = serializers.BooleanField(required=False)
        approve_followers_manually = serializers.BooleanField(required=False)
        links = ProfileLinkSerializer(
            many=True,
            required=False,
            max_length=MAX_PROFILE_LINKS,
            help_text="Replaces every profile link when given.",
        )

        class Meta:
            ref_name = "ProfileUpdate"

    OutputSerializer = CreatorSerializer

    @extend_schema(
        operation_id="me_profile_partial_update",
        summary="Edit the signed-in creator's profile",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 404)},
    )
    def patch(self, request):
        creator = selectors.creator_of_user(user=request.user)
        if creator is None:
            raise NotFound("You have no creator profile.")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        links = fields.pop("links", None)
        if links is not None:
            links = [(link["label"], link["url"]) for link in links]
        try:
            creator = services.update_creator_profile(
                creator=creator, links=links, **fields
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                serializers.as_serializer_error(exc)
            ) from exc
        creator = selectors.creator_of_user(user=request.user)
        return Response(
            self.OutputSerializer(creator, context={"request": request}).data
        )


# Creators --------------------------------------------------------------------


class CreatorListView(ListApiView):
    """Creators the user may read: themself and those who granted access."""

    OutputSerializer = CreatorSerializer

    @extend_schema(
        operation_id="creators_list",
        summary="Creators visible to the signed-in user",
        responses={200: OutputSerializer(many=True), **error_responses(401)},
    )
    def get(self, request):
        creators = selectors.creator_list_visible_to(user=request.user)
        return self.paginated_response(creators, self.OutputSerializer)


class CreatorDetailView(ApiView):
    """One creator the user may read; 404 for any other handle."""

    OutputSerializer = CreatorSerializer

    @extend_schema(
        operation_id="creators_retrieve",
        summary="One creator, if visible to the signed-in user",
        responses={200: OutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request, handle: str):
        creator = selectors.creator_get_visible(user=request.user, handle=handle)
        serializer = self.OutputSerializer(creator, context={"request": request})
        return Response(serializer.data)


# Agencies --------------------------------------------------------------------


class AgencyListView(ListApiView):
    """The agencies the user belongs to, with their role in each."""

    OutputSerializer = AgencyForMemberSerializer

    @extend_schema(
        operation_id="agencies_list",
        summary="The signed-in user's agencies",
        responses={200: OutputSerializer(many=True), **error_responses(401)},
    )
    def get(self, request):
        memberships = selectors.membership_list_of(user=request.user)
        return self.paginated_response(memberships, self.OutputSerializer)


class AgencyDetailView(ApiView):
    """One agency the user belongs to, with their role; 404 otherwise."""

    OutputSerializer = AgencyForMemberSerializer

    @extend_schema(
        operation_id="agencies_retrieve",
        summary="One of the signed-in user's agencies",
        responses={200: OutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request, slug: str):
        membership = selectors.membership_get_for_member(user=request.user, slug=slug)
        return Response(self.OutputSerializer(membership).data)


class AgencyCreatorListView(ListApiView):
    """Creators who granted the agency access. Members only."""

    OutputSerializer = CreatorSerializer

    @extend_schema(
        operation_id="agencies_creators_list",
        summary="Creators who granted one of the user's agencies access",
        responses={200: OutputSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, slug: str):
        agency = permissions.get_agency_for_member_or_404(request.user, slug)
        creators = selectors.agency_creator_list(user=request.user, agency=agency)
        return self.paginated_response(creators, self.OutputSerializer)


# Agency access (the creator's consent) ---------------------------------------


class AgencyAccessSerializer(serializers.Serializer):
    """An agency the creator let in, and what its owners and managers may do."""

    id = serializers.IntegerField()
    agency = serializers.SlugField(source="agency.slug")
    agency_name = serializers.CharField(source="agency.name")
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=AgencyScope.choices),
        help_text="read_analytics: see followers, engagement and reports; "
        "draft_posts: write and schedule posts for approval; publish_posts: "
        "publish, schedule, edit and delete posts; answer_replies: answer "
        "replies in the creator's name; moderate_replies: approve, hide or "
        "remove replies and answer follow requests. Analysts only ever read.",
    )
    granted_at = serializers.DateTimeField()

    class Meta:
        ref_name = "AgencyAccess"


class AgencyAccessListView(ListApiView):
    """The agencies the signed-in creator let in, with their scopes."""

    OutputSerializer = AgencyAccessSerializer

    @extend_schema(
        operation_id="me_agency_access_list",
        summary="Agencies with access to the signed-in creator, and their scopes",
        responses={200: OutputSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request):
        creator = selectors.creator_of_user(user=request.user)
        if creator is None:
            raise NotFound("You have no creator profile.")
        grants = creator.agency_grants.active().select_related("agency")
        return self.paginated_response(grants, self.OutputSerializer)


class AgencyAccessScopesView(ApiView):
    """Change what an agency may do for the signed-in creator, at once."""

    class InputSerializer(serializers.Serializer):
        scopes = serializers.ListField(
            child=serializers.ChoiceField(choices=AgencyScope.choices),
            allow_empty=True,
            help_text="Every scope the agency keeps; the others are taken back.",
        )

        class Meta:
            ref_name = "AgencyAccessScopes"

    OutputSerializer = AgencyAccessSerializer

    @extend_schema(
        operation_id="me_agency_access_partial_update",
        summary="Change an agency's scopes (effective at once)",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, pk: int):
        access = permissions.get_own_agency_access_or_404(request.user, pk)
        if not access.is_active:
            raise NotFound("That access was taken back.")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        access = services.change_agency_scopes(
            access=access,
            scopes=serializer.validated_data["scopes"],
            changed_by=request.user,
        )
        return Response(self.OutputSerializer(access).data)
