"""One asset's invalid config, contract or state, kept to that asset (pure).

The hook, the on-run-start gate and `tessera check` decide every asset on its own: an
asset whose `meta.tessera`, contract document or published state cannot be read becomes
one `AssetError` (recorded as an `asset_error` event by the hook, one line in each
report) and every other asset is still audited, judged and published.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import TesseraError, brief

_GENERIC_HINT = "fix the asset's config; set TESSERA_DEBUG=1 for the traceback"


@dataclass(frozen=True)
class AssetError:
    """What is wrong with one asset: `message` names the problem, `hint` the fix."""

    asset: str  # the relation (database.schema.identifier), or the unique_id
    unique_id: str
    message: str
    hint: str = ""

    @classmethod
    def of(cls, unique_id: str, asset: str | None, exc: BaseException) -> AssetError:
        if isinstance(exc, TesseraError):
            message, hint = exc.message, exc.hint
        else:  # not a user error: named by its type, so it can be reported
            message, hint = brief(f"{type(exc).__name__}: {exc}"), _GENERIC_HINT
        prefix = f"{unique_id}: "
        if message.startswith(prefix):  # the line names the asset once
            message = message[len(prefix):]
        return cls(asset or unique_id, unique_id, message, hint)

    @property
    def problem(self) -> str:
        """The problem and its fix, on one line."""
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def line(self, consequence: str) -> str:
        """`<asset> (<unique_id>): <problem> (<fix>); <consequence>`."""
        name = self.asset if self.asset == self.unique_id else \
            f"{self.asset} ({self.unique_id})"
        return f"{name}: {self.problem}; {consequence}"
