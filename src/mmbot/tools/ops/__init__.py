"""Ops entry points the release checklist names (`python -m mmbot.tools.ops.<name>`)."""
