"""The exception tree.

::

    MicroneedlingError              anything this package raises on purpose
    ├── UserError                   bad input a person can fix; message says which field and what
    │   ├── IntakeError             an intake that breaks A.1 (unknown code, dates in the wrong order...)
    │   ├── PlanRequestError        a plan request that is malformed or refused by policy
    │   ├── InputFileError          a file that cannot be read or parsed (missing, too large, not JSON)
    │   │   └── PhotoError          a file offered as a photo that is not an acceptable image
    │   ├── KnowledgeBaseError      knowledge-base data that fails its schema (file, place, problem)
    │   ├── NotFound                no such record in the acting user's clinic (another clinic's
    │   │                           record is reported exactly like a missing one)
    │   ├── PermissionDenied        the acting user's role may not do this
    │   ├── Conflict                someone else got there first (the session is already charted,
    │   │                           the e-mail is taken, the database is busy): reload and retry
    │   ├── RuleViolation           a rule the clinic relies on refuses it (no signed consent,
    │   │                           expired or recalled cartridge lot, screening not valid...)
    │   └── SchedulingError         a calendar, booking or scheduling request that is malformed
    │                               or cannot be met
    └── InternalError               a bug or broken invariant; never shown to users verbatim

Every `UserError` carries an optional ``field`` (a dotted path such as ``medications[0].stopped_on``)
so the CLI can print one line, the API can fill ``fields``, and the web UI can mark the input.
``fields`` lists every ``(field, message)`` found when there is more than one.
"""

from __future__ import annotations


class MicroneedlingError(Exception):
    """Base class for every error this package raises deliberately."""


class UserError(MicroneedlingError):
    """Bad input that the person who gave it can correct."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        fields: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.fields: list[tuple[str, str]] = fields or ([(field, message)] if field else [])

    def __str__(self) -> str:
        if self.field:
            return f"{self.field}: {self.message}"
        return self.message


class IntakeError(UserError):
    """An intake that does not satisfy the vocabulary and rules of REFERENCE A.1."""


class PlanRequestError(UserError):
    """A plan request that is malformed, or that the planning policy refuses."""


class InputFileError(UserError):
    """A file that cannot be read or parsed."""


class KnowledgeBaseError(UserError):
    """Knowledge-base data that fails validation.

    ``problems`` lists every problem found (each already naming file, place and what is wrong), so
    `kb validate` can report them all at once rather than one per run.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        head = problems[0] if problems else "invalid knowledge base"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(head + more)


class PhotoError(InputFileError):
    """A file offered as a photo that is not a real image, or is too large."""


class NotFound(UserError):
    """No such record in the acting user's clinic.

    A record of another clinic raises this too, with the same message, so that ids cannot be
    probed across clinics.
    """


class PermissionDenied(UserError):
    """The acting user's role does not allow this action (or the account is not active)."""


class Conflict(UserError):
    """The change lost a race or collides with an existing record; reload and try again."""


class RuleViolation(UserError):
    """A clinic rule refuses the action; the message says which rule and what would satisfy it."""


class SchedulingError(UserError):
    """A calendar, booking or scheduling request that is malformed or cannot be met."""


class InternalError(MicroneedlingError):
    """A broken invariant: a bug, not bad input."""
