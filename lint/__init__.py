"""Project checks that plug into the tools (import-linter contract types)."""
