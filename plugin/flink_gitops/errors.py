"""User-facing errors.

Every problem a user can cause (a bad file, a bad object, a bad field) is raised as a
:class:`UserError`. The CLI prints each problem on one line and exits non-zero without a
traceback and without printing any partial output.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem, located as precisely as we can: file, document, object, field."""

    message: str
    file: str | None = None
    document: int | None = None  # 1-based index of the YAML document in the file
    obj: str | None = None  # "Kind namespace/name" or "Kind name"
    field: str | None = None  # dotted path, e.g. spec.job.upgradeMode
    hint: str | None = None
    rule: str | None = None  # the validation rule that found it (flink_gitops.render.validation.registry)

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file if self.document is None else f"{self.file} (document {self.document})")
        elif self.document is not None:
            where.append(f"document {self.document}")
        if self.obj:
            where.append(self.obj)
        if self.field:
            where.append(self.field)
        text = ": ".join(where + [self.message]) if where else self.message
        if self.rule:
            text += f" [{self.rule}]"
        if self.hint:
            text += f" (fix: {self.hint})"
        return text


class UserError(Exception):
    """One or more problems caused by the user's input. Never shown as a traceback.

    ``partial``: what a reader could still read despite the problems (objects of the other files and
    documents), for a caller that checks it too and reports every problem in one run.
    """

    def __init__(self, problems: Problem | str | list[Problem], partial: list | None = None):
        if isinstance(problems, (Problem, str)):
            problems = [problems]
        self.problems: list[Problem] = [p if isinstance(p, Problem) else Problem(p) for p in problems]
        self.partial: list = list(partial or ())
        super().__init__("\n".join(str(p) for p in self.problems))

