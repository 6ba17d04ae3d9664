"""The posts dashboard: compose, queue, calendar and each post's page.

Modules: compose (the form and its live preview), lists (queue, calendar),
post (one post's page and actions), common (lookups and wording).
"""
