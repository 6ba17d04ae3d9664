"""What remote servers send us: the inbox's request path (checks, signature
verification, the store before the 202) and the workers' processing of
stored activities, partition by partition, into analytics and moderation."""
