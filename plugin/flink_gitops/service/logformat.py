"""The service's log: one line per health transition, and ``--log-format json`` (one object per line).

(``settings.log_format_settings`` names :class:`JsonLogger` as gunicorn's ``logger_class``.)
The store announces transitions (:meth:`~flink_gitops.cluster.store.HealthStore.add_listener`); what to
log is the service's choice, made here. ``json`` formats every line gunicorn writes for us (its error log,
which our ``flink_gitops`` logger shares, and its access log when one is on) through :class:`JsonLogger`.
"""

from __future__ import annotations

import json
import logging
import time

from gunicorn import glogging

from flink_gitops.cluster.store import Transition, cut

#: The logger of the transition lines.
TRANSITIONS = logging.getLogger("flink_gitops.transitions")
#: A message longer than this is cut in a log line (a stack trace would make one line of 200 KB).
LOG_MESSAGE_LIMIT = 1000


def log_transition(change: Transition) -> None:
    """One INFO line per health transition: kind, namespace, name, from, to, rule and message (the operator's
    error decoded, as the dashboard shows it); the same as fields of the JSON object."""
    rec = change.record
    before = change.previous or "new"
    message = cut(rec.decoded_message, LOG_MESSAGE_LIMIT)
    fields = {"kind": rec.kind, "namespace": rec.namespace, "name": rec.name, "from": change.previous,
              "to": rec.status, "rule": rec.rule, "healthMessage": message}
    if rec.error is not None:
        fields["error"] = rec.error.as_json()
    TRANSITIONS.info("health %s %s/%s: %s -> %s (rule %s): %s", rec.kind, rec.namespace, rec.name, before,
                     rec.status, rec.rule or "none", message, extra={"transition": fields})


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and a transition's fields."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "transition", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


class JsonLogger(glogging.Logger):
    """gunicorn's logger with every handler it sets up writing :class:`JsonFormatter` lines."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.setFormatter(JsonFormatter())


__all__ = ["log_transition", "JsonFormatter", "JsonLogger"]
