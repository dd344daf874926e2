"""`python -m mmbot.tools.dump_metrics_json [--run DIR] [--out FILE] [--at UTC]`: the release
checklist's name for `mmbot metrics dump` (same options, same output)."""

from __future__ import annotations

import sys

from mmbot.cli.app import main

if __name__ == "__main__":
    main(["metrics", "dump", *sys.argv[1:]])
