"""What the public files and then follows with a private tracking code (a complaint, a
disclosure request): the code, the sealed identity of whoever filed it, and the tracking
page's lookup. Features keep their own models, rules, pages and words; this package knows none
of them.

- ``keys``: the secrets these rest on, derived from ``SECRET_KEY`` unless configured.
- ``tracking``: tracking codes (80 random bits, stored only as a keyed hash) and the lookup.
- ``sealing``: names and contacts sealed apart from what they filed, and the logged view.
- ``pages``: the tracking form, the throttles and the tracking page's flow.
"""
