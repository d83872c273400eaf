"""Projects share the funds fixtures."""

from tests.funds.conftest import funded, other_staff, quiet_search, staff, with_search  # noqa: F401
