"""The deterministic demo province. Each feature adds a step in its ``init_app``."""
