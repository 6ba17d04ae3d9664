"""Domain events of moderation, sent inside the transaction of the change.

moderation never imports federation; federation connects to these in its
AppConfig.ready() and records, in the same transaction, what they mean for
the network (its outbox).
"""

from django.dispatch import Signal

# A creator blocked a remote account: a `Block` goes to it and its follow
# of the creator ends. Argument: block (ActorBlock).
actor_blocked = Signal()

# A creator lifted a block: an `Undo(Block)` goes to the account.
# Arguments: creator (CreatorProfile), actor_uri (str), block_id (int, the
# ActorBlock's pk, which named the Block activity; the row is gone).
actor_unblocked = Signal()

# Admins blocked a server (or a parent domain of it): followers there are
# dropped and deliveries there given up. Argument: domain (str).
domain_blocked = Signal()

# A report is to reach the remote server's admins as a `Flag` from the
# instance actor. Argument: report (Report).
report_forwarded = Signal()
