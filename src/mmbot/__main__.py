"""Allow `python -m mmbot`."""

from mmbot.cli.app import main

main()
