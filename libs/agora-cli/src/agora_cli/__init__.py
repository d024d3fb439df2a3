"""``agora``: the command line of Agora admins and integrators (typer + rich)."""
