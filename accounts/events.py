"""Domain events other apps react to (federation, above all).

accounts never imports federation: it announces what happened inside the
transaction of the change, and federation connects its handlers in its
AppConfig.ready() and records the work they cause in that transaction.
"""

from django.dispatch import Signal

# A creator turned "share to the fediverse" on or off.
# Arguments: creator (CreatorProfile), enabled (bool).
federation_toggled = Signal()

# Something remote servers show changed: name, bio, images, links, follower
# approval. Arguments: creator (CreatorProfile).
public_profile_changed = Signal()
