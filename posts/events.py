"""Domain events of posts, sent inside the transaction of the change.

posts never imports federation; federation connects to these in its
AppConfig.ready() and records, in the same transaction, the work they
cause on the network (its outbox): a change that rolls back causes none.
Every signal's argument: post (Post).
"""

from django.dispatch import Signal

# A post went out (now, or when its scheduled time came).
post_published = Signal()
# A published post's text, media or warning changed.
post_edited = Signal()
# Only who may quote or reply to a published post changed: peers learn it
# from an Update, but readers see the same post, so it is not an edit (as
# on Mastodon).
post_policies_changed = Signal()
# A published post was deleted.
post_deleted = Signal()
# A published post was pinned to or unpinned from the profile.
post_pinned = Signal()
post_unpinned = Signal()

# Someone on another server asked to quote a post, and the creator (or the
# post's quote policy) answered: quote_request.state is "accepted" or
# "refused". Argument: quote_request (QuoteRequest).
quote_request_answered = Signal()
# The creator withdrew a permission to quote given earlier. Argument:
# quote_request (QuoteRequest, state "revoked").
quote_authorization_revoked = Signal()

# Someone at an agency did something for a creator (drafted, scheduled,
# published, edited, deleted a post; answered or moderated a reply).
# Argument: action (PostAction). moderation writes it to the audit log.
acted_on_behalf = Signal()
