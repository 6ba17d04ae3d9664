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

# An admin (or the owner's password reset) ended a log-in lock-out before its
# cool-off. Arguments: username (str), by (User or None), via (str: "admin",
# "command line", "password reset"). Lock-outs themselves are axes'
# `user_locked_out` signal.
login_unlocked = Signal()

# A user's two-factor devices were removed by someone else: an admin who lost
# track of the phone with them, or the command line. Arguments: user (User),
# by (User or None).
two_factor_reset = Signal()

# A creator moved to another account (CreatorProfile.moved_to_uri is set):
# followers' servers are to be told with a `Move`. Undoing a move, or
# changing the accounts the creator had before (aliases), is a
# public_profile_changed. Arguments: creator (CreatorProfile).
creator_moved = Signal()
