"""Entry points the release checklist names (`python -m mmbot.tools.<name>`)."""
