"""What we send: the outbox of recorded jobs, the activities built from
posts and moderation decisions, the fan-out to followers' inboxes, and the
delivery runs that sign, send and record, with their per-server limits."""
