"""Domain events of posts, sent after the transaction commits.

posts never imports federation; federation connects to these in its
AppConfig.ready() and turns them into activities.
Every signal's argument: post (Post).
"""

from django.dispatch import Signal

# A post went out (now, or when its scheduled time came).
post_published = Signal()
# A published post's text, media or warning changed.
post_edited = Signal()
# A published post was deleted.
post_deleted = Signal()
# A published post was pinned to or unpinned from the profile.
post_pinned = Signal()
post_unpinned = Signal()
