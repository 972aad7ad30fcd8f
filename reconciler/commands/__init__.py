"""One module per subcommand; each exposes ``run(args, ui) -> exit code``."""
