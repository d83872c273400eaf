"""The deterministic demo province. Each feature adds a step with ``register_step``."""
