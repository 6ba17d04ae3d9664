from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "federation"

    def ready(self) -> None:
        from accounts import events
        from analytics import insights
        from federation import handlers, selectors
        from federation.outbound import quote_requests
        from followers import events as follower_events
        from moderation import events as moderation_events
        from posts import events as post_events
        from posts import quotes

        events.federation_toggled.connect(
            handlers.on_federation_toggled, dispatch_uid="federation-toggled"
        )
        events.public_profile_changed.connect(
            handlers.on_public_profile_changed, dispatch_uid="profile-changed"
        )
        events.creator_moved.connect(
            handlers.on_creator_moved, dispatch_uid="creator-moved"
        )
        for signal, handler in (
            (post_events.post_published, handlers.on_post_published),
            (post_events.post_edited, handlers.on_post_edited),
            (post_events.post_policies_changed, handlers.on_post_policies_changed),
            (post_events.post_deleted, handlers.on_post_deleted),
            (post_events.post_pinned, handlers.on_post_pinned),
            (post_events.post_unpinned, handlers.on_post_unpinned),
            (post_events.quote_request_answered, handlers.on_quote_answered),
            (
                post_events.quote_authorization_revoked,
                handlers.on_quote_authorization_revoked,
            ),
            (follower_events.follow_approved, handlers.on_follow_approved),
            (follower_events.follow_declined, handlers.on_follow_declined),
            (follower_events.follower_removed, handlers.on_follower_removed),
            (moderation_events.actor_blocked, handlers.on_actor_blocked),
            (moderation_events.actor_unblocked, handlers.on_actor_unblocked),
            (moderation_events.domain_blocked, handlers.on_domain_blocked),
            (moderation_events.report_forwarded, handlers.on_report_forwarded),
        ):
            signal.connect(handler, dispatch_uid=f"federation-{handler.__name__}")
        # The reach estimates on analytics pages count deliveries.
        insights.reach_source_set(selectors.posts_reach)
        # Quoting a remote post: federation fetches it and asks its author.
        quotes.quote_resolver_set(quote_requests.find_quoted_post)
        post_events.post_published.connect(
            quote_requests.on_post_published, dispatch_uid="federation-quote-request"
        )
