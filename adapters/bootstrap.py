"""Composition root: settings -> event store (SQLite file, PostgreSQL, memory) + adapters.

The only place that knows every adapter. Front-ends (the CLI, a web app, the
simulation, tests) call ``build(Settings(...))`` and get a ready ``Vangnet``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import attrs

from adapters.clock import SystemClock
from adapters.store.sql import FieldCipher, SqlStore
from application.policy import PolicyFile, identity, load_policy
from application.ports import Clock, Letters, MunicipalSignal, Sms, Telephony
from application.service import Ports, Vangnet


class ConfigError(ValueError):
    """Configuration that cannot work (bad URL, missing or wrong key)."""


@attrs.frozen
class Settings:
    db: str = "./vangnet.db"  # path, ":memory:", or postgresql://user@host:port/db
    policy_path: str | None = None
    cipher_key: str | None = None  # base64 AES key: encrypt events at rest
    # keyed seal of the hash chain (HMAC key kept outside the store): the key itself, or a file holding it
    seal_key: str | None = None
    seal_key_file: str | None = None
    out_dir: str = "./vangnet-out"
    # Aggregate cache (0: off). Off by default: a cached copy costs a deepcopy per load,
    # more than replaying a tenancy's events; long single-writer runs (the simulation)
    # turn it on without copies.
    cache_size: int = 0
    # seconds a command waits for another writer (an import, a daily run) before it
    # gives up with "the store is busy" (CLI exit code 75); on every store connection
    busy_timeout: int = 10
    # seconds before an outbox item claimed by a process that died is offered again
    outbox_lease_s: float = 900.0
    # Single-writer bulk work (the simulation) only; production keeps the defaults.
    # sqlite_synchronous: PRAGMA synchronous of SQLite file stores (None: the library's
    # FULL); set, the store also offers ``datastore.batch()`` (adapters.store.batching).
    sqlite_synchronous: str | None = None
    # cache_fastforward False: a cached aggregate is trusted without asking the store
    # for newer events (only right when this process is the store's only writer).
    cache_fastforward: bool = True
    # durable_files False: the signal files of the outbox are written without fsync (a
    # power cut may lose one; a reader never sees half of one): the simulation only.
    durable_files: bool = True

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "db": os.environ.get("VANGNET_DB", "./vangnet.db"),
            "policy_path": os.environ.get("VANGNET_POLICY") or None,
            "cipher_key": os.environ.get("VANGNET_CIPHER_KEY") or None,
            "seal_key": os.environ.get("VANGNET_SEAL_KEY") or None,
            "seal_key_file": os.environ.get("VANGNET_SEAL_KEY_FILE") or None,
            "out_dir": os.environ.get("VANGNET_OUT", "./vangnet-out"),
        }
        for name, key, conv in (("VANGNET_BUSY_TIMEOUT", "busy_timeout", int),
                                ("VANGNET_OUTBOX_LEASE", "outbox_lease_s", float)):
            raw = os.environ.get(name)
            if raw:
                try:
                    values[key] = conv(raw)
                except ValueError:
                    raise ConfigError(f"{name}: {raw!r} is not a number of seconds") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def store_env(settings: Settings) -> dict[str, str]:
    db = settings.db
    env: dict[str, str] = {}
    if db.startswith(("postgresql://", "postgres://")):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise ConfigError("db: PostgreSQL needs the 'postgres' extra: pip install 'vangnet[postgres]'") from None
        u = urlparse(db)
        if not u.path.strip("/"):
            raise ConfigError(f"db: {redact_url(db)!r} names no database")
        env.update({
            "PERSISTENCE_MODULE": "adapters.store.postgres:VangnetPostgresFactory",
            "POSTGRES_DBNAME": unquote(u.path.lstrip("/")),
            "POSTGRES_HOST": u.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(u.port or 5432),
            "POSTGRES_USER": unquote(u.username or os.environ.get("USER", "postgres")),
            "POSTGRES_PASSWORD": unquote(u.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": "5",
            # bounded waits: a lock wait ends after the busy timeout; a session that sits
            # idle inside a transaction (a client that hung) is ended by the server
            "POSTGRES_LOCK_TIMEOUT": str(max(1, int(settings.busy_timeout))),
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "60",
            "APPLICATION_RECORDER_TOPIC": "adapters.store.postgres:VangnetPostgresRecorder",
        })
    elif db.startswith("postgresql") or "://" in db:
        raise ConfigError(f"db: {redact_url(db)!r} is neither a file path nor a postgresql:// URL")
    else:
        name = db
        if db == ":memory:":
            name = f"file:vangnet-{uuid.uuid4().hex}?mode=memory&cache=shared"
        else:
            parent = Path(db).expanduser().resolve().parent
            if not parent.is_dir():
                raise ConfigError(f"db: folder {str(parent)!r} does not exist")
        env.update({
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": name,
            "SQLITE_LOCK_TIMEOUT": str(max(1, int(settings.busy_timeout))),
            "APPLICATION_RECORDER_TOPIC": "adapters.store.sql:VangnetSQLiteRecorder",
        })
        if settings.sqlite_synchronous:
            env["PERSISTENCE_MODULE"] = "adapters.store.batching:VangnetSQLiteFactory"
            env["SQLITE_SYNCHRONOUS"] = settings.sqlite_synchronous
    if settings.cipher_key:
        env["CIPHER_TOPIC"] = "eventsourcing.cipher:AESCipher"
        env["CIPHER_KEY"] = settings.cipher_key
    if settings.cache_size:
        env["AGGREGATE_CACHE_MAXSIZE"] = str(settings.cache_size)
        if not settings.cache_fastforward:
            env["AGGREGATE_CACHE_FASTFORWARD"] = "n"
    return env


def _key_check(key: str) -> str:
    import hashlib

    return hashlib.sha256(b"vangnet-cipher-check:" + key.encode()).hexdigest()[:32]


def check_key_format(key: str) -> None:
    import base64
    import binascii

    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("cipher_key: VANGNET_CIPHER_KEY is not base64") from None
    if len(raw) not in (16, 24, 32):
        raise ConfigError(f"cipher_key: VANGNET_CIPHER_KEY decodes to {len(raw)} bytes; 16, 24 or 32 expected")


def check_cipher(store: SqlStore, key: str | None) -> None:
    """Never a silent plaintext write into an encrypted store, nor a write with the wrong key.

    The first use records whether the store is encrypted (and a check value of the
    key, not the key); later opens must agree."""
    from application.store import Upsert

    recorded = store.get_meta("cipher")
    if recorded is None:
        if store.count_events() and key is not None:
            raise ConfigError("cipher_key: this store holds plaintext events; it cannot be switched to encryption "
                              "in place (export and import into a new store)")
        store.apply([Upsert("meta", ("key",), {"key": "cipher", "value": _key_check(key) if key else "none"})])
        return
    if recorded == "none" and key is not None:
        raise ConfigError("cipher_key: this store is not encrypted; remove VANGNET_CIPHER_KEY or use a new store")
    if recorded != "none" and key is None:
        raise ConfigError("cipher_key: this store is encrypted; VANGNET_CIPHER_KEY is missing")
    if recorded != "none" and key is not None and recorded != _key_check(key):
        raise ConfigError("cipher_key: VANGNET_CIPHER_KEY is not the key this store was encrypted with")


SEAL_MIN_BYTES = 16


def load_seal_key(settings: Settings) -> bytes | None:
    """The seal key from VANGNET_SEAL_KEY, or the first line of VANGNET_SEAL_KEY_FILE;
    at least 16 bytes. It is never written to the store (only a check value is)."""
    text = settings.seal_key
    if text is None and settings.seal_key_file:
        try:
            text = Path(settings.seal_key_file).read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"seal_key_file: {settings.seal_key_file!r} cannot be read ({e})") from None
    if text is None:
        return None
    key = text.strip().encode("utf-8")
    if len(key) < SEAL_MIN_BYTES:
        raise ConfigError(f"seal_key: the seal key must be at least {SEAL_MIN_BYTES} bytes "
                          "(e.g. `openssl rand -base64 32`)")
    return key


def check_seal(store: SqlStore, key: bytes | None) -> None:
    """A sealed store needs its key: never a silent unsealed write, nor one with another key."""
    from application.audit.chain import seal_key_check
    from application.store import Upsert

    recorded = store.get_meta("seal")
    if key is None:
        if recorded is not None:
            raise ConfigError("seal_key: this store is sealed; VANGNET_SEAL_KEY (or VANGNET_SEAL_KEY_FILE) is missing")
        return
    if recorded is None:
        store.apply([Upsert("meta", ("key",), {"key": "seal", "value": seal_key_check(key)})])
    elif recorded != seal_key_check(key):
        raise ConfigError("seal_key: VANGNET_SEAL_KEY is not the key this store was sealed with")


def _postgres_reason(env: dict[str, str]) -> str | None:
    """The server's own reason (no such database, login refused), without the password."""
    try:
        import psycopg

        psycopg.connect(host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], dbname=env["POSTGRES_DBNAME"],
                        user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None,
                        connect_timeout=5).close()
    except Exception as e:  # noqa: BLE001 - any driver error is the reason to show
        text = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        return text.replace(env["POSTGRES_PASSWORD"], "***") if env["POSTGRES_PASSWORD"] else text
    return None


def redact_url(url: str) -> str:
    u = urlparse(url)
    if u.password:
        return url.replace(f":{u.password}@", ":***@")
    return url


def check_adapter_sections(pf: PolicyFile) -> None:
    """Errors in an adapter section of the policy stop every command at load, as one
    clear error (not as a warning per letter later): a present ``[letters]`` table must
    be complete and valid."""
    cfg = pf.sections.get("letters") or {}
    if cfg:
        from adapters.letters import LetterConfig
        from application.ports import LetterRefused

        try:
            LetterConfig.from_mapping(cfg)
        except (LetterRefused, ValueError) as e:
            raise ConfigError(" ".join(str(e).split())) from None


def build(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    telephony: Telephony | None = None,
    sms: Sms | None = None,
    letters: Letters | None = None,
    signals: MunicipalSignal | None = None,
    policy: PolicyFile | None = None,
) -> Vangnet:
    settings = settings or Settings()
    pf = policy or load_policy(settings.policy_path)
    if policy is None:
        check_adapter_sections(pf)
    if settings.cipher_key is not None:
        check_key_format(settings.cipher_key)
    env = store_env(settings)
    # Our env wins over the process environment for store settings.
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k in env or k.startswith(("POSTGRES_", "SQLITE_"))}
    try:
        try:
            app = Vangnet(env=env)
        except Exception as e:  # the library raises a variety of errors for bad stores
            msg = str(e)
            if env.get("PERSISTENCE_MODULE", "").startswith(("eventsourcing.postgres", "adapters.store.postgres")):
                msg = _postgres_reason(env) or msg
            from application.store import StoreBusy, is_busy

            if is_busy(e):
                raise StoreBusy(msg) from None
            if "CIPHER" in msg or "cipher" in msg.lower():
                raise ConfigError(f"cipher_key: {msg}") from None
            raise ConfigError(f"db: cannot open store {redact_url(settings.db)!r}: {msg}") from None
    finally:
        os.environ.update(saved)
    dialect = "postgres" if settings.db.startswith(("postgresql://", "postgres://")) else "sqlite"
    check_cipher(SqlStore(app.recorder, dialect), settings.cipher_key)
    # personal data in the side tables (contact directory, sealing keys) is encrypted
    # with a key derived from the same VANGNET_CIPHER_KEY as the events
    store = SqlStore(app.recorder, dialect, FieldCipher(settings.cipher_key) if settings.cipher_key else None)
    seal_key = load_seal_key(settings)
    check_seal(store, seal_key)
    setattr(app.recorder, "seal_key", seal_key)  # noqa: B010 - every write transaction seals its chain head
    app.seal_key = seal_key  # audit verify checks the seals
    app.outbox_lease_s = settings.outbox_lease_s  # type: ignore[attr-defined]
    if dialect == "sqlite" and store.get_meta("chain_positions") == "sparse":
        # copied from PostgreSQL (adapters.store.copy): positions keep the source's gaps
        app.recorder.chain_positions_dense = False  # type: ignore[attr-defined]
    out = Path(settings.out_dir)
    app.attach(
        store=store,
        ports=Ports(
            clock=clock or SystemClock(),
            telephony=telephony,
            sms=sms,
            letters=letters if letters is not None else _default_letters(pf, out, store),
            signals=(signals if signals is not None
                     else _default_signals(pf, out, store, settings.durable_files)),
        ),
        policy=pf.policy,
        access=identity(pf).access(pf.permissions),
    )
    if telephony is None or sms is None:
        tel, sms_port = telephony_adapters(pf, out, app)
        app.ports.telephony = telephony if telephony is not None else tel  # type: ignore[union-attr]
        app.ports.sms = sms if sms is not None else sms_port  # type: ignore[union-attr]
    return app


def telephony_adapters(pf: PolicyFile, out: Path, app: Vangnet) -> tuple[Telephony, Sms]:
    """``[telephony] mode = "record" | "vendor" | "twilio" | "simulated"``; the app is the fact sink."""
    cfg = dict(pf.sections.get("telephony") or {})
    mode = cfg.pop("mode", "record")
    store = app.store
    if mode == "record":  # written to files: an item is marked sent only when an adapter took it
        from adapters.telephony.files_out import RecordedFiles

        rec = RecordedFiles(Path(cfg.get("record_dir", out / "telephony" / "recorded")))
        return rec, rec
    if mode == "simulated":
        from adapters.telephony.simulated import DialerRates, SimulatedDialer

        rates = DialerRates(**cfg.pop("rates", {}))
        dialer = SimulatedDialer(app, store, rates, seed=int(cfg.pop("seed", 0)), deliver="immediate",  # type: ignore[arg-type]
                                 clock=app.ports.clock if app.ports else None)
        return dialer, dialer
    if mode == "vendor":
        from adapters.telephony.vendor import VendorTelephony

        outbox = Path(cfg.get("outbox", out / "calls" / "outbox"))
        outbox.mkdir(parents=True, exist_ok=True)
        from adapters.telephony.files_out import VendorSms

        clock = app.ports.clock if app.ports else None
        letters = pf.sections.get("letters") or {}
        vendor_sms = VendorSms(outbox, store, app, clock=clock,  # type: ignore[arg-type]
                               landlord_name=cfg.get("landlord_name") or letters.get("landlord_name"),
                               landlord_iban=cfg.get("landlord_iban") or letters.get("landlord_iban"))
        return VendorTelephony(outbox, store, app, clock=clock), vendor_sms  # type: ignore[arg-type]
    if mode == "twilio":
        from twilio.rest import Client

        from adapters.telephony.twilio_adapter import TwilioTelephony

        token = os.environ.get("VANGNET_TWILIO_AUTH_TOKEN")
        missing = [k for k in ("account_sid", "from_number", "public_url", "officer_line") if not cfg.get(k)]
        if missing:
            raise ConfigError(f"telephony.{missing[0]}: required for mode = \"twilio\"")
        if not token:
            raise ConfigError("telephony: VANGNET_TWILIO_AUTH_TOKEN is not set (mode = \"twilio\")")
        client = Client(cfg["account_sid"], token)
        tw = TwilioTelephony(client, store, cfg["from_number"], cfg["public_url"], cfg["officer_line"], app,  # type: ignore[arg-type]
                             landlord_name=cfg.get("landlord_name", ""), landlord_iban=cfg.get("landlord_iban", ""),
                             sms_sender=cfg.get("sms_sender"), sends=store)
        return tw, tw
    raise ConfigError(f"telephony.mode: {mode!r} is not one of record, vendor, twilio, simulated")


def _default_letters(pf: PolicyFile, out: Path, store: SqlStore) -> Letters:
    cfg = pf.sections.get("letters") or {}
    if not cfg:  # a letter recorded as sent must exist: with no landlord details none is written
        return RefusingLetters("letters: no [letters] section in the policy file (landlord name, IBAN, ...)")
    from adapters.letters import FileLetters, LetterConfig
    from application.ports import LetterRefused

    # the letter states, and checks, the deadline the playbook computed: the same postal days
    try:
        config = LetterConfig.from_mapping(cfg)
    except (LetterRefused, ValueError) as e:
        return RefusingLetters(str(e))
    return FileLetters(out / "letters", config, store, policy=pf.policy)


@attrs.define
class RefusingLetters:
    """The letter configuration is incomplete: every letter is refused with the reason,
    nothing is written, and the playbook tries again the next day."""

    reason: str

    def send(self, letter: Any) -> Any:
        from application.ports import LetterRefused

        raise LetterRefused(self.reason)


def _default_signals(pf: PolicyFile, out: Path, store: SqlStore,
                     durable: bool = True) -> MunicipalSignal:
    cfg = pf.sections.get("signals") or {}
    from adapters.signals import FileSignals

    fmt = cfg.get("format", "json")
    if fmt not in ("json", "csv"):
        raise ConfigError(f"signals.format: {fmt!r} must be json or csv")
    return FileSignals(out / "signals", store, fmt=fmt, durable=durable)
