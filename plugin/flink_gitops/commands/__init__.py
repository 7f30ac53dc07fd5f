"""Sub-commands of the CLI. Modules here import only argparse at module level."""
