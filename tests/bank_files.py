"""Small camt.053 files written by the tests themselves: several accounts, several
statements per file, any message version. Amounts in cents; the balances add up
unless a test asks otherwise."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

ACCOUNT_A = "NL91ABNA0417164300"
ACCOUNT_B = "NL20INGB0001234567"
PAYER_IBAN = "NL02RABO0123456789"
PAYER_NAME = "J. de Vries"


def ns(version: str = "02", kind: str = "camt.053") -> str:
    return f"urn:iso:std:iso:20022:tech:xsd:{kind}.001.{version}"


def _amt(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@attrs.frozen
class Item:
    """One booked entry with one transaction detail."""

    cents: int
    cd: str = "CRDT"
    ref: str | None = None  # structured reference (betalingskenmerk)
    ustrd: str | None = None  # free remittance text
    e2e: str | None = None
    mandate: str | None = None
    bank_ref: str | None = None  # AcctSvcrRef of the entry
    reason: str | None = None  # return reason (RtrInf)
    booked: str = "2024-05-13"

    @property
    def delta(self) -> int:
        return self.cents if self.cd == "CRDT" else -self.cents

    def xml(self, version: str) -> str:
        new = int(version) >= 8  # .001.08 and later: <Sts><Cd>, parties under <Pty>
        sts = "<Sts><Cd>BOOK</Cd></Sts>" if new else "<Sts>BOOK</Sts>"
        party = (f"<Dbtr><Pty><Nm>{PAYER_NAME}</Nm></Pty></Dbtr>" if new
                 else f"<Dbtr><Nm>{PAYER_NAME}</Nm></Dbtr>")
        refs = ""
        if self.e2e:
            refs += f"<EndToEndId>{self.e2e}</EndToEndId>"
        if self.mandate:
            refs += f"<MndtId>{self.mandate}</MndtId>"
        rmt = ""
        if self.ustrd:
            rmt += f"<Ustrd>{self.ustrd}</Ustrd>"
        if self.ref:
            rmt += f"<Strd><CdtrRefInf><Ref>{self.ref}</Ref></CdtrRefInf></Strd>"
        return (
            f'<Ntry><Amt Ccy="EUR">{_amt(self.cents)}</Amt><CdtDbtInd>{self.cd}</CdtDbtInd>{sts}'
            f"<BookgDt><Dt>{self.booked}</Dt></BookgDt><ValDt><Dt>{self.booked}</Dt></ValDt>"
            + (f"<AcctSvcrRef>{self.bank_ref}</AcctSvcrRef>" if self.bank_ref else "")
            + "<NtryDtls><TxDtls>"
            + (f"<Refs>{refs}</Refs>" if refs else "")
            + f'<AmtDtls><TxAmt><Amt Ccy="EUR">{_amt(self.cents)}</Amt></TxAmt></AmtDtls>'
            + f"<RltdPties>{party}<DbtrAcct><Id><IBAN>{PAYER_IBAN}</IBAN></Id></DbtrAcct></RltdPties>"
            + (f"<RmtInf>{rmt}</RmtInf>" if rmt else "")
            + (f"<RtrInf><Rsn><Cd>{self.reason}</Cd></Rsn></RtrInf>" if self.reason else "")
            + "</TxDtls></NtryDtls></Ntry>"
        )


@attrs.frozen
class Stmt:
    id: str
    items: Sequence[Item] = ()
    opening: int = 0
    seq: int | None = None
    account: str = ACCOUNT_A
    closing: int | None = None

    @property
    def closing_cents(self) -> int:
        return self.closing if self.closing is not None else self.opening + sum(i.delta for i in self.items)

    def xml(self, version: str) -> str:
        def bal(code: str, cents: int) -> str:
            cd = "CRDT" if cents >= 0 else "DBIT"
            return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
                    f'<Amt Ccy="EUR">{_amt(abs(cents))}</Amt><CdtDbtInd>{cd}</CdtDbtInd>'
                    "<Dt><Dt>2024-05-13</Dt></Dt></Bal>")

        return (
            f"<Stmt><Id>{self.id}</Id>"
            + (f"<ElctrncSeqNb>{self.seq}</ElctrncSeqNb>" if self.seq is not None else "")
            + "<CreDtTm>2024-05-14T06:00:00</CreDtTm>"
            + f"<Acct><Id><IBAN>{self.account}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
            + bal("OPBD", self.opening) + bal("CLBD", self.closing_cents)
            + "".join(i.xml(version) for i in self.items)
            + "</Stmt>"
        )


def camt_file(*statements: Stmt, version: str = "02", kind: str = "camt.053") -> bytes:
    body = "".join(s.xml(version) for s in statements)
    container = {"camt.053": "BkToCstmrStmt", "camt.052": "BkToCstmrAcctRpt",
                 "camt.054": "BkToCstmrDbtCdtNtfctn"}[kind]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="{ns(version, kind)}"><{container}>'
        "<GrpHdr><MsgId>MSG1</MsgId><CreDtTm>2024-05-14T06:00:00</CreDtTm></GrpHdr>"
        f"{body}</{container}></Document>"
    ).encode()


def chain(first_id: str, *item_lists: Sequence[Item], account: str = ACCOUNT_A, opening: int = 0,
          first_seq: int = 1) -> list[Stmt]:
    """Consecutive statements of one account: each opens with the previous closing."""
    out: list[Stmt] = []
    for n, items in enumerate(item_lists):
        s = Stmt(f"{first_id}-{n + 1}", tuple(items), opening=opening, seq=first_seq + n, account=account)
        out.append(s)
        opening = s.closing_cents
    return out
