"""爱心帮扶 (issue 8): verified needs of registered households, donors' pledges that never
over-fulfil a need, and proof of delivery. Public at /help/, back office at /admin/matching/."""
