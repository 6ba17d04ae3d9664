"""Domain events about followers, which federation answers on the network.

Sent inside the transaction of the change, with the Follow as it is at that
moment (still saved, even when it is about to be deleted). Federation
connects its handlers in its AppConfig.ready() and records the Accept or
Reject it owes the follower's server in that same transaction.
"""

from django.dispatch import Signal

# Someone follows a creator from now on (approved by the creator, accepted
# at once, or a repeated request from someone following already).
# Arguments: follow (Follow).
follow_approved = Signal()

# A request turned down by the creator, or refused on arrival (a blocked
# account; a creator who does not share to the fediverse). The Follow may be
# unsaved: a refused request is not kept. Arguments: follow (Follow).
follow_declined = Signal()

# The creator removed a follower ("remove follower"): their server must drop
# the follow. Arguments: follow (Follow).
follower_removed = Signal()
