from adapters.cli.main import cli

cli()
