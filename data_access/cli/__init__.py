"""The command line: `python -m data_access COMMAND …` (see README "Command line").

main.py builds the parser from the command modules (database: init, demo, kpis,
rebuild-summaries; imports: import; users: user …; notify: watch, notify …), each registering
its own commands; shared.py holds the exit codes, the one-line error and the engine opener they
all use.
"""

from .main import main

__all__ = ["main"]
