"""The bodies of the command-line sub-commands; `salesapp.cli` only parses and dispatches."""
