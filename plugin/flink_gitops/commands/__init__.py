"""The top floor: one module per ``flink-gitops`` sub-command (``render``, ``health``, ``wait``, ``serve``, ``generate``).

Each drives the packages below it and does its own printing; nothing below imports a command.
:data:`flink_gitops.cli.COMMANDS` lists them.
"""
