"""Audit: what Vangnet knew when, a faithful export, and proof that the record is whole.

One module per concern: ``asof`` (as-of rebuilds), ``export`` (export and import),
``chain`` (the hash chain), ``decoding`` (stored state to events), ``eventlog`` (the
event-log port), ``replay`` and ``invariants`` (replay of the whole log and the rules
checked on the way), ``readmodels`` (read-model comparison and rebuild), ``verify``,
``report`` and ``dossier``. ``from application.audit import ...`` names them all.

Functions take the application (``Vangnet``) and the actor; each checks the actor's
permission first. The CLI (``vangnet audit ...``) only parses and prints.

As-of instants
    ``as_of`` is compared with each event's *recorded* timestamp (``event.timestamp``:
    the UTC wall-clock time at which Vangnet stored it). An as-of rebuild therefore
    answers "what did Vangnet know at that instant", which is what an auditor can hold
    Vangnet to. Business dates (``on``, ``booked_on``, ``opened_on``) live in the events'
    own fields and can differ (a back-dated payment; a simulation that records a year
    of business days in a minute). A time without a UTC offset is read as Dutch local
    time (Europe/Amsterdam); a plain date means the end of that day, Dutch time.

Export and import
    Every event with its position (notification id), aggregate id, version, type (the
    stored topic), recorded timestamp, payload (plain JSON: dates and times as ISO
    text, ids as UUID text) and the stored state itself (``state``: UTF-8 text, or
    base64 when the store encrypts or compresses), so that ``import_events`` puts back
    byte-identical events. Streamed page by page in constant memory. Events hold no
    personal data by design (names, phone numbers, addresses and IBANs live in the
    contact directory; intake answers are sealed, opaque strings).

Hash chain (tamper evidence)
    The recorders keep ``event_chain(position, hash)`` in the transaction that inserts
    the events: ``h_n = sha256(h_{n-1} || position || originator id || version || topic
    || state)`` with ``h_0`` = 64 zeros (``chain_hash``). ``verify`` recomputes it and
    reports every position where a stored event was changed (hash mismatch), inserted
    (no chain entry) or deleted (a chain entry without its event; on SQLite, whose
    positions have no gaps, also a position missing from both). A chain is not a
    signature: whoever can rewrite both tables, or delete the last events together
    with their chain entries, is caught only by comparing the head (position and hash,
    printed by verify) with a copy kept elsewhere (``anchor``).

Keyed seal
    With a seal key kept outside the store (VANGNET_SEAL_KEY or VANGNET_SEAL_KEY_FILE)
    every write transaction also stores an HMAC-SHA256 of its chain head
    (``chain_seals``, ``chain.seal_mac``). Recomputing the chain after an edit cannot
    produce matching seals without the key: ``verify`` reports each sealed position
    that no longer matches and events after the last seal. Stores written before (or
    without a key) carry the unkeyed chain only: verify says so (``seal`` in its
    report); with a key it is a discrepancy until ``seal_head`` (``vangnet audit
    seal``) seals the verified head.

Speed
    Export, verify and rebuild read one page (1,000 events) per query, decode JSON
    states with orjson (the mapper does encrypted or unusual events), and replay
    ``@event`` methods directly when the event class uses the library's plain
    ``mutate``/``apply`` (the same calls, fewer layers); the cyclic garbage collector is
    paused while a whole store is replayed.
"""

from application.audit.asof import aggregate_as_of, case_as_of, tenancy_as_of, tenancy_state
from application.audit.chain import GENESIS, _ChainCheck, chain_hash
from application.audit.common import PAGE, AuditError, parse_as_of
from application.audit.decoding import EventDecoder, _plain, event_payload
from application.audit.dossier import LEGAL_BASIS, dossier
from application.audit.eventlog import ChainedRecorder, EventLog, event_log, iter_rows
from application.audit.export import (
    EXPORT_COLUMNS,
    ImportSummary,
    export_events,
    import_events,
    read_export,
)
from application.audit.readmodels import (
    NOT_DERIVABLE,
    expected_read_models,
    rebuild_read_models,
)
from application.audit.replay import _Replay, _replay_all
from application.audit.report import Discrepancy, VerifyReport
from application.audit.verify import seal_head, verify

__all__ = [
    "EXPORT_COLUMNS",
    "GENESIS",
    "LEGAL_BASIS",
    "NOT_DERIVABLE",
    "PAGE",
    "AuditError",
    "ChainedRecorder",
    "Discrepancy",
    "EventDecoder",
    "EventLog",
    "ImportSummary",
    "VerifyReport",
    "_ChainCheck",
    "_Replay",
    "_plain",
    "_replay_all",
    "aggregate_as_of",
    "case_as_of",
    "chain_hash",
    "dossier",
    "event_log",
    "event_payload",
    "expected_read_models",
    "export_events",
    "import_events",
    "iter_rows",
    "parse_as_of",
    "read_export",
    "rebuild_read_models",
    "seal_head",
    "tenancy_as_of",
    "tenancy_state",
    "verify",
]
