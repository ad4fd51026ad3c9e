"""Running the platform: health and readiness, metrics, the single beat, nginx config, heartbeats."""
