"""The trainers' workbench: commands that check, explain, compare and draw the rules.

Each module is one `wegwijzer` command: a library function that does the work, a
renderer, and a thin `add_arguments(parser)` / `run(args) -> int` pair for the CLI.
"""
