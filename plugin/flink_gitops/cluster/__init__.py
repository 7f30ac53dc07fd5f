"""Kubernetes access: cluster configuration, reflectors per Flink kind, and the health cache they fill."""

import logging

# A library's loggers stay silent unless the program (the service) configures logging; the CLI
# reports failures itself, in one line.
logging.getLogger(__name__).addHandler(logging.NullHandler())
