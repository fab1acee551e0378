"""What a partial restore did, variable by variable: ``RestoreReport``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from scopejax._src.checkpoint.errors import RestoreError


class Mismatch(NamedTuple):
    """A variable mapped to a checkpoint tensor of another shape or dtype (left as it was)."""

    checkpoint_name: str
    shape: tuple[int, ...]
    checkpoint_shape: tuple[int, ...]
    dtype: str
    checkpoint_dtype: str

    def describe(self) -> str:
        parts = []
        if self.shape != self.checkpoint_shape:
            parts.append(f"shape {self.shape} vs checkpoint {self.checkpoint_shape}")
        if self.dtype != self.checkpoint_dtype:
            parts.append(f"dtype {self.dtype} vs checkpoint {self.checkpoint_dtype}")
        return ", ".join(parts)


def _listing(title: str, lines: list[str], limit: int | None) -> list[str]:
    if not lines:
        return []
    shown = lines if limit is None else lines[:limit]
    out = [f"  {title} ({len(lines)}):"] + [f"    {s}" for s in shown]
    if len(shown) < len(lines):
        out.append(f"    ... and {len(lines) - len(shown)} more (report.summary(limit=None))")
    return out


@dataclass(frozen=True)
class RestoreReport:
    """The outcome of :func:`init_from_checkpoint` (or a restore into a target), by name.

    Attributes:
      source: what was read (``"scopejax checkpoint /path"``, ``"TensorFlow checkpoint …"``).
      restored: ``{variable: checkpoint tensor}`` for every variable given a checkpoint value.
      not_restored: ``{variable: reason}`` for selected variables left at their current value
        (no assignment-map entry covers them, or the tensor they map to is absent).
      mismatched: ``{variable: Mismatch}``: mapped to a tensor of another shape or dtype.
      unused: checkpoint tensors no assignment-map entry used.
      cast: ``{variable: (checkpoint dtype, dtype)}`` restored with ``cast=True``.
      excluded: variables outside ``var_list`` (never touched, never reported as missing).
    """

    source: str
    restored: dict[str, str] = field(default_factory=dict)
    not_restored: dict[str, str] = field(default_factory=dict)
    mismatched: dict[str, Mismatch] = field(default_factory=dict)
    unused: tuple[str, ...] = ()
    cast: dict[str, tuple[str, str]] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True if every selected variable was restored and every checkpoint tensor used."""
        return not (self.not_restored or self.mismatched or self.unused)

    def check(
        self, *, not_restored: bool = True, mismatched: bool = True, unused: bool = True
    ) -> RestoreReport:
        """Raise RestoreError if the report has problems of the kinds asked for; else self.

        ``report.check(unused=False)`` accepts extra checkpoint tensors (a TF1 checkpoint's
        ``global_step``, a head you replaced) but nothing else.
        """
        bad = (
            (not_restored and self.not_restored)
            or (mismatched and self.mismatched)
            or (unused and self.unused)
        )
        if bad:
            raise RestoreError(
                self.summary(limit=20)
                + "\nFix the assignment_map, narrow var_list, or pass strict=False and read "
                "the report."
            )
        return self

    def summary(self, limit: int | None = 20) -> str:
        """A readable account: counts, then each list (at most ``limit`` lines each)."""
        n_sel = len(self.restored) + len(self.not_restored) + len(self.mismatched)
        head = (
            f"Restore from {self.source}: {len(self.restored)} of {n_sel} variables restored"
            f", {len(self.not_restored)} not restored, {len(self.mismatched)} mismatched"
            f", {len(self.unused)} checkpoint tensors unused"
        )
        if self.excluded:
            head += f", {len(self.excluded)} outside var_list"
        lines = [head + "."]
        lines += _listing(
            "not restored", [f"{v}: {why}" for v, why in self.not_restored.items()], limit
        )
        lines += _listing(
            "shape/dtype mismatch (left unchanged)",
            [f"{v} <- {m.checkpoint_name}: {m.describe()}" for v, m in self.mismatched.items()],
            limit,
        )
        lines += _listing("unused checkpoint tensors", list(self.unused), limit)
        lines += _listing("cast", [f"{v}: {a} -> {b}" for v, (a, b) in self.cast.items()], limit)
        lines += _listing(
            "restored",
            [v if v == c else f"{v} <- {c}" for v, c in self.restored.items()],
            limit,
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_pretty_(self, p, cycle) -> None:  # IPython shows the summary
        p.text(self.summary())
