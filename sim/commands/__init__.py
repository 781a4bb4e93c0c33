"""Subcommands of the `geosim` CLI; one module each, registered in `sim.cli.COMMANDS`."""
