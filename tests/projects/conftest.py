"""Projects share the funds fixtures."""

from tests.funds.conftest import funded, other_staff, staff  # noqa: F401
