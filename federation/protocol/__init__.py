"""ActivityPub on the wire, with no state of its own: ids of our actors and
objects, the documents we serve (actors, Notes, collections), HTTP
signatures, our keys, the one outbound HTTP client, and fetching what
remote servers publish about their actors."""
