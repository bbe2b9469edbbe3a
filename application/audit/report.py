"""What verify found: discrepancies and the report."""

from __future__ import annotations

from typing import Any

import attrs


@attrs.define
class Discrepancy:
    kind: str  # chain | replay | invariant | read_model
    message: str
    position: int | None = None
    aggregate_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in attrs.asdict(self).items() if v is not None}

    def __str__(self) -> str:
        where = f"position {self.position}: " if self.position is not None else ""
        return f"[{self.kind}] {where}{self.message}"


@attrs.define
class VerifyReport:
    events: int = 0
    tenancies: int = 0
    cases: int = 0
    chain_entries: int = 0
    chain_head: dict[str, Any] | None = None
    seal: str | None = None  # the keyed seal's status (application.audit.chain.check_seals)
    discrepancies: list[Discrepancy] = attrs.Factory(list)
    omitted: int = 0  # found, but past the listing limit
    limit: int = 1000
    read_model_rows: dict[str, int] = attrs.Factory(dict)
    redacted: int = 0  # events whose plain free text was erased, as the chain records it

    @property
    def ok(self) -> bool:
        return not self.discrepancies and not self.omitted

    @property
    def first_tampered_position(self) -> int | None:
        ps = [
            d.position for d in self.discrepancies if d.kind == "chain" and d.position is not None
        ]
        return min(ps) if ps else None

    def add(
        self, kind: str, message: str, position: int | None = None, aggregate_id: Any = None
    ) -> None:
        if len(self.discrepancies) >= self.limit:
            self.omitted += 1
            return
        self.discrepancies.append(
            Discrepancy(
                kind, message, position, str(aggregate_id) if aggregate_id is not None else None
            )
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "tenancies": self.tenancies,
            "cases": self.cases,
            "chain_entries": self.chain_entries,
            "chain_head": self.chain_head,
            "seal": self.seal,
            "first_tampered_position": self.first_tampered_position,
            "read_model_rows": self.read_model_rows,
            "redacted": self.redacted,
            "discrepancies": [d.as_dict() for d in self.discrepancies],
            "omitted": self.omitted,
        }
