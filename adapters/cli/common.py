"""Shared CLI plumbing: the runtime (store, actor, output mode), errors, parsing.

Every command: parse -> call the application -> print. Bad input gives one clear
line naming the field and value, exit code 2, no traceback, nothing written.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterable
from datetime import date
from functools import update_wrapper
from typing import Any, NoReturn, TypeVar

import click

from domain.values import Actor, InvalidValue

F = TypeVar("F", bound=Callable[..., Any])


class Runtime:
    def __init__(self, db: str | None, policy: str | None, actor: str | None, out: str | None):
        self.db = db
        self.policy = policy
        self.actor_text = actor
        self.out = out
        self._app: Any = None
        self.overrides: dict[str, Any] = {}

    @property
    def actor(self) -> Actor:
        """The actor from the installation's identity (``[access]`` in the policy):
        single-user, ``--as`` (click also reads VANGNET_ACTOR) or ``admin:<login>``; multi-user, the
        operating-system account looked up in ``[access.users]``."""
        from application.policy import PolicyError, identity, load_policy

        text = self.actor_text
        try:
            ident = identity(load_policy(self.policy))
        except (PolicyError, InvalidValue) as e:
            fail(str(e))
        from application.access import AccessDenied

        try:
            return ident.resolve(_os_account() if ident.multi_user else _login(), text)  # type: ignore[no-any-return]
        except InvalidValue as e:
            fail(str(e))
        except AccessDenied as e:
            fail(f"access denied: {e}", 3)

    def use_store_day(self) -> None:
        """Case work without --date acts on the store's day (the last daily run), not the
        wall clock: the dates a worklist shows are the dates its commands accept."""
        from adapters.clocks import StoreClock

        if self._app is None and "clock" not in self.overrides:
            self.overrides["clock"] = StoreClock()

    def require(self, permission: str) -> Actor:
        """The actor, checked for ``permission`` against the installation's policy, for
        commands that do not open the store (policy show, simulate, web serve)."""
        from application.access import AccessDenied
        from application.policy import PolicyError, identity, load_policy

        try:
            pf = load_policy(self.policy)
        except PolicyError as e:
            fail(str(e))
        actor = self.actor
        try:
            identity(pf).access(pf.permissions).check(actor, permission)
        except AccessDenied as e:
            fail(f"access denied: {e}", 3)
        return actor

    def settings(self) -> Any:
        from adapters.bootstrap import Settings

        return Settings.from_env(db=self.db, policy_path=self.policy, out_dir=self.out)

    @property
    def app(self) -> Any:
        if self._app is None:
            from adapters.bootstrap import ConfigError, build
            from adapters.clocks import StoreClock
            from application.policy import PolicyError

            try:
                self._app = build(self.settings(), **self.overrides)
                clock = self.overrides.get("clock")
                if isinstance(clock, StoreClock):
                    clock.store = self._app.store
            except (ConfigError, PolicyError) as e:
                fail(str(e))
        return self._app


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "local"


def _os_account() -> str:
    """The account the process runs under (not $USER, which anyone can set)."""
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


pass_runtime = click.make_pass_decorator(Runtime)


def fail(message: str | None, code: int = 2, *, details: Iterable[object] = ()) -> NoReturn:
    """The one way a command refuses: each of ``details`` and then ``message`` as an
    ``error: ...`` line on stderr, and exit ``code`` (2: bad input or a refused
    command, nothing written; 3: access denied). ``message=None`` prints no summary
    line (a --json refusal already printed its object)."""
    for d in details:
        click.echo(f"error: {d}", err=True)
    if message is not None:
        click.echo(f"error: {message}", err=True)
    sys.exit(code)


def guarded(fn: F) -> F:
    """Turn domain and application errors into one clear line and exit code 2."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from application.access import AccessDenied
        from application.ledger_types import ImportRefused
        from application.service import CommandError, ConcurrencyConflict, NotFound

        try:
            return fn(*args, **kwargs)
        except (CommandError, NotFound, InvalidValue, ConcurrencyConflict) as e:
            fail(str(e).strip("'\""))
        except AccessDenied as e:
            fail(f"access denied: {e}", 3)
        except BrokenPipeError:
            raise  # the reader went away (`| head`): click ends quietly
        except OSError as e:  # an output or input path that cannot be used
            where = f" {e.filename!r}" if getattr(e, "filename", None) else ""
            fail(f"file{where}: {e.strerror or e}")
        except ImportRefused as e:
            fail(str(e), details=e.errors)

    return update_wrapper(wrapper, fn)  # type: ignore[return-value]


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str, ensure_ascii=False))


# ----------------------------------------------------------------- parsing


def parse_money(value: str, field: str = "amount") -> int:
    from domain.validation import parse_amount

    try:
        return parse_amount(value, field=field)
    except InvalidValue as e:
        raise click.BadParameter(str(e).split(": ", 1)[-1], param_hint=f"--{field}") from None


class DateType(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: Any, ctx: Any) -> date:
        from domain.validation import parse_date

        try:
            return parse_date(value, param.name if param and param.name else "date")
        except InvalidValue as e:
            self.fail(str(e).split(": ", 1)[-1], param, ctx)


class MoneyType(click.ParamType):
    name = "AMOUNT"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        from domain.validation import parse_amount

        if isinstance(value, int):
            return value
        try:
            return parse_amount(str(value), field=param.name if param and param.name else "amount")
        except InvalidValue:
            self.fail(f"{value!r} is not an amount like 650.00 or 650,00 (ASCII digits)", param, ctx)


class YesNo(click.ParamType):
    name = "yes|no"

    def convert(self, value: Any, param: Any, ctx: Any) -> bool:
        if isinstance(value, bool):
            return value
        v = str(value).strip().lower()
        if v in ("yes", "y", "ja", "true", "1"):
            return True
        if v in ("no", "n", "nee", "false", "0"):
            return False
        self.fail(f"{value!r} is not yes or no", param, ctx)


class TextType(click.ParamType):
    """A text option: length limit, no control characters (domain.validation.check_text)."""

    name = "TEXT"

    def __init__(self, max_len: int = 200, *, multiline: bool = False):
        self.max_len = max_len
        self.multiline = multiline

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        from domain.validation import check_text

        try:
            return check_text(value, param.name if param and param.name else "text", max_len=self.max_len,
                              multiline=self.multiline)
        except InvalidValue as e:
            self.fail(str(e).split(": ", 1)[-1], param, ctx)


DATE = DateType()
TEXT = TextType()
ADDRESS = TextType(300, multiline=True)
REASON = TextType(1000)
MONEY = MoneyType()
YES_NO = YesNo()
