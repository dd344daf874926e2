"""The operations layer's exception: a step that cannot proceed until a person acts."""

from __future__ import annotations

from mmbot.core.errors import MmError


class OpsError(MmError):
    """A file an operations step needs is missing or unreadable, or a service it asks does not
    answer: a human must produce the file or bring the service back, then rerun the step."""

    exit_code = 2
