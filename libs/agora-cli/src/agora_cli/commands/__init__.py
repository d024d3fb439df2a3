"""One ``typer.Typer`` per area; ``agora_cli.app`` composes them."""
