"""The `mmbot` CLI (typer). Thin: parse arguments, call the library, print one-line results."""
