"""`python -m microneedling` is the `microneedling` command."""

from microneedling.cli.main import app

app(prog_name="microneedling")
