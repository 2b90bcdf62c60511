"""What the detector did in a replay database, and how it scores against the simulator's labels.

`load_detection` reads one replay database (the tables of migration 0008, the balances and who
took part); the functions below compare it with the labels. Nothing here runs a replay: the
evaluation (`evaluate.py`) does, and these stay pure so that tests can feed hand-made rows.

Definitions (bench/fraud/README.md, "Results: the detector, measured"):

- a member is *held* if a member row of `fraud_flags` (b = 0) has held = 1 or a `holds` row
  names them; a pair is held if its pair row has held = 1;
- an attacker is *caught* if held; recall = caught / labelled, per attack type; precision of a
  type = its caught / (its caught + honest members held), as if it were the only attack;
- honest members are everyone who took part and is neither an attacker nor a bot, look-alikes
  included;
- an attacker's *gain* in a run = their final balance − their balance in the honest-only run.
"""

from __future__ import annotations

import sqlite3
import statistics
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import orjson

ATTACKS = ("ring", "collusion", "spam_bot", "burst")
SIGNALS = ("ring", "ping_pong", "burst", "low_quality", "closed_partners", "too_new")
"""The detector's signals (bot/domain/fraud), strongest weight first."""
LAST_SYSTEM_ACCOUNT = 2
"""Ledger accounts 0 (treasury), 1 (erased) and 2 (escrow) are the guild's own."""

Pair = tuple[int, int]


@dataclass(slots=True)
class Labels:
    """The simulator's labels file, with IDs as integers."""

    attackers: dict[int, str] = field(default_factory=dict)
    """Attacker -> attack type."""
    starts: dict[int, str] = field(default_factory=dict)
    """Attacker -> first day of their attack (ISO)."""
    pairs: dict[Pair, str] = field(default_factory=dict)
    """Farming pair (smaller ID first) -> attack type."""
    lookalikes: dict[int, str] = field(default_factory=dict)
    """Honest look-alike -> its kind."""

    @classmethod
    def from_json(cls, doc: dict) -> Labels:
        labels = cls()
        for member, entry in doc.get("members", {}).items():
            labels.attackers[int(member)] = entry["attack"]
            labels.starts[int(member)] = entry["from"]
        for a, b, attack in doc.get("pairs", ()):
            labels.pairs[_pair(int(a), int(b))] = attack
        for member, entry in doc.get("lookalikes", {}).items():
            labels.lookalikes[int(member)] = entry["kind"]
        return labels

    def of_type(self, attack: str) -> set[int]:
        return {member for member, kind in self.attackers.items() if kind == attack}


@dataclass(slots=True)
class Detection:
    """One replay database: who took part, what the detector flagged and held, who has what."""

    participants: set[int] = field(default_factory=set)
    """Humans who wrote a message, earned points or hold a balance; bots left out."""
    bots: set[int] = field(default_factory=set)
    member_signals: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    """Signals of any member row (held or not)."""
    member_held_signals: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    """Signals behind a member's holds: held member rows and their `holds` rows' reasons."""
    members_held: dict[int, str] = field(default_factory=dict)
    """Held member -> first day held."""
    member_days_held: Counter[int] = field(default_factory=Counter)
    """Days on which a member row was held."""
    pair_signals: dict[Pair, set[str]] = field(default_factory=lambda: defaultdict(set))
    pair_held_signals: dict[Pair, set[str]] = field(default_factory=lambda: defaultdict(set))
    pairs_held: dict[Pair, str] = field(default_factory=dict)
    """Held pair -> first day held."""
    details: dict[tuple[int, int], dict[str, str]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    """(a, b) (b = 0 for a member) -> signal -> the first detail seen: evidence to show."""
    balances: dict[int, int] = field(default_factory=dict)
    """Member accounts' final balances (tokens received)."""
    escrow: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    """Member -> hold status (held, released, voided) -> tokens."""

    def flagged_members(self, skip_pairs_of: Collection[int] = ()) -> dict[int, set[str]]:
        """Every member named by a row, own or pair, with the signals of those rows; pairs with
        a member of `skip_pairs_of` left out (an attacker's victim is not flagged for it)."""
        found: dict[int, set[str]] = defaultdict(set)
        for member, signals in self.member_signals.items():
            found[member] |= signals
        for (a, b), signals in self.pair_signals.items():
            if a not in skip_pairs_of and b not in skip_pairs_of:
                found[a] |= signals
                found[b] |= signals
        return dict(found)


def load_detection(path: Path) -> Detection:
    """Read a replay database (every guild in it together: replays here hold one guild each)."""
    found = Detection()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        found.bots = {row[0] for row in conn.execute("SELECT user FROM members WHERE is_bot = 1")}
        # Anyone who wrote (the message index keeps low-quality messages too, so the set is the
        # same with the defence on or off), earned points or holds tokens.
        rows = conn.execute(
            "SELECT author FROM messages WHERE human = 1 UNION SELECT member FROM member_days"
            " UNION SELECT account FROM balances WHERE account > ?",
            (LAST_SYSTEM_ACCOUNT,),
        )
        found.participants = {row[0] for row in rows} - found.bots
        for day, a, b, held, reasons in conn.execute(
            "SELECT day, a, b, held, reasons FROM fraud_flags ORDER BY day"
        ):
            _add_flag(found, day, a, b, bool(held), _reasons(reasons))
        for day, member, status, amount, why in conn.execute(
            "SELECT day, member, status, amount, why FROM holds ORDER BY day"
        ):
            _add_hold(found, day, member, status, amount, _reasons(why))
        found.balances = dict(
            conn.execute(
                "SELECT account, balance FROM balances WHERE account > ?", (LAST_SYSTEM_ACCOUNT,)
            )
        )
    conn.close()
    return found


def _reasons(text: str) -> list[tuple[str, str]]:
    """`[[signal, detail, weight], ...]` -> [(signal, detail)]."""
    return [(str(item[0]), str(item[1])) for item in orjson.loads(text or "[]")]


def _add_flag(
    found: Detection, day: str, a: int, b: int, held: bool, reasons: list[tuple[str, str]]
) -> None:
    signals = {signal for signal, _ in reasons}
    for signal, detail in reasons:
        found.details[(a, b)].setdefault(signal, detail)
    if b == 0:
        found.member_signals[a] |= signals
        if held:
            found.member_held_signals[a] |= signals
            found.members_held.setdefault(a, day)
            found.member_days_held[a] += 1
        return
    pair = _pair(a, b)
    found.pair_signals[pair] |= signals
    if held:
        found.pair_held_signals[pair] |= signals
        found.pairs_held.setdefault(pair, day)


def _add_hold(
    found: Detection, day: str, member: int, status: str, amount: int, why: list[tuple[str, str]]
) -> None:
    found.escrow[member][status] += amount
    found.member_held_signals[member] |= {signal for signal, _ in why}
    found.members_held.setdefault(member, day)
    for signal, detail in why:
        found.details[(member, 0)].setdefault(signal, detail)


def _pair(a: int, b: int) -> Pair:
    return (a, b) if a < b else (b, a)


def ratio(part: float, whole: float) -> float | None:
    """part / whole, or None when there is nothing to divide by (reported as "n/a")."""
    return part / whole if whole else None


# --- holds against the labels ---------------------------------------------------------------


@dataclass(slots=True)
class AttackScore:
    attack: str
    labelled: int
    caught: int
    recall: float | None
    precision: float | None
    """Caught / (caught + honest members held): as if this were the only attack."""
    pairs_labelled: int
    pairs_held: int
    pair_recall: float | None
    pair_precision: float | None
    """Its pairs held / (its pairs held + pairs of two honest members held)."""
    days_to_hold: float | None
    """Median days from an attacker's first attack day to their first hold."""
    pair_days_to_hold: float | None
    """Median days from a pair's first attack day (the later of its two) to its first hold."""
    missed: list[int]


@dataclass(slots=True)
class HonestScore:
    members: int
    """Honest members who took part (look-alikes included, bots and attackers not)."""
    held: list[int]
    share: float | None
    lookalikes: dict[str, tuple[int, int]]
    """Kind -> (look-alikes who took part, of them held)."""
    pairs_flagged: int
    pairs_held: list[Pair]
    """Pairs of two honest members whose rewards were held."""


def honest_members(labels: Labels, found: Detection) -> set[int]:
    """Everyone who took part or was held, minus attackers and bots."""
    return (found.participants | found.members_held.keys()) - labels.attackers.keys() - found.bots


def honest_score(labels: Labels, found: Detection) -> HonestScore:
    honest = honest_members(labels, found)
    held = sorted(honest & found.members_held.keys())
    kinds: dict[str, tuple[int, int]] = {}
    for kind in sorted(set(labels.lookalikes.values())):
        members = {m for m, k in labels.lookalikes.items() if k == kind} & honest
        kinds[kind] = (len(members), len(members & found.members_held.keys()))
    honest_pairs = [pair for pair in found.pair_signals if not _involves(labels, pair)]
    return HonestScore(
        members=len(honest),
        held=held,
        share=ratio(len(held), len(honest)),
        lookalikes=kinds,
        pairs_flagged=len(honest_pairs),
        pairs_held=sorted(pair for pair in honest_pairs if pair in found.pairs_held),
    )


def attack_score(
    attack: str, labels: Labels, found: Detection, honest_held: int, honest_pairs_held: int = 0
) -> AttackScore:
    members = labels.of_type(attack)
    caught = members & found.members_held.keys()
    pairs = {pair for pair, kind in labels.pairs.items() if kind == attack}
    pairs_held = len(pairs & found.pairs_held.keys())
    delays = [_days(labels.starts[m], found.members_held[m]) for m in caught if m in labels.starts]
    pair_delays = [
        _days(max(labels.starts.get(a, ""), labels.starts.get(b, "")), found.pairs_held[(a, b)])
        for a, b in pairs & found.pairs_held.keys()
        if a in labels.starts or b in labels.starts
    ]
    return AttackScore(
        attack=attack,
        labelled=len(members),
        caught=len(caught),
        recall=ratio(len(caught), len(members)),
        precision=ratio(len(caught), len(caught) + honest_held) if members else None,
        pairs_labelled=len(pairs),
        pairs_held=pairs_held,
        pair_recall=ratio(pairs_held, len(pairs)),
        pair_precision=ratio(pairs_held, pairs_held + honest_pairs_held) if pairs else None,
        days_to_hold=statistics.median(delays) if delays else None,
        pair_days_to_hold=statistics.median(pair_delays) if pair_delays else None,
        missed=sorted(members - caught),
    )


def _days(start: str, held: str) -> int:
    return (date.fromisoformat(held) - date.fromisoformat(start)).days


def attack_scores(labels: Labels, found: Detection) -> dict[str, AttackScore]:
    honest = honest_score(labels, found)
    held, pairs = len(honest.held), len(honest.pairs_held)
    return {attack: attack_score(attack, labels, found, held, pairs) for attack in ATTACKS}


def overall_precision(labels: Labels, found: Detection) -> tuple[int, int, float | None]:
    """(attackers held, members held, their ratio); bots are nobody's."""
    held = found.members_held.keys() - found.bots
    attackers = held & labels.attackers.keys()
    return len(attackers), len(held), ratio(len(attackers), len(held))


def _involves(labels: Labels, pair: Pair) -> bool:
    return pair[0] in labels.attackers or pair[1] in labels.attackers


# --- signals ----------------------------------------------------------------------------------


def signal_counts(labels: Labels, found: Detection) -> dict[str, dict[str, int]]:
    """Per signal: members and pairs flagged and held by it, honest and attacker apart. A pair
    counts as the attackers' when either member is an attacker (spam and burst victims too)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)

    def tally(what: str, items: Iterable[tuple[bool, set[str]]]) -> None:
        for attacker, signals in items:
            side = "attacker" if attacker else "honest"
            for signal in signals:
                counts[signal][f"{what}_{side}"] += 1

    members = found.member_signals.items()
    tally(
        "members_flagged", ((m in labels.attackers, s) for m, s in members if m not in found.bots)
    )
    held = found.member_held_signals.items()
    tally("members_held", ((m in labels.attackers, s) for m, s in held if m not in found.bots))
    tally("pairs_flagged", ((_involves(labels, p), s) for p, s in found.pair_signals.items()))
    tally("pairs_held", ((_involves(labels, p), s) for p, s in found.pair_held_signals.items()))
    order = [*SIGNALS, *sorted(counts.keys() - set(SIGNALS))]
    keys = [
        f"{what}_{side}"
        for what in ("members_flagged", "members_held", "pairs_flagged", "pairs_held")
        for side in ("honest", "attacker")
    ]
    return {signal: {key: counts[signal][key] for key in keys} for signal in order}


# --- tokens -----------------------------------------------------------------------------------


@dataclass(slots=True)
class TokenScore:
    """Tokens an attack type got on top of its members' honest-only balances."""

    accounts: int
    defended: int
    """Σ gain with the defence on: final balances, escrow not included."""
    undefended: int
    """Σ gain with `[fraud] enabled = false`."""
    pending: int
    """Still in escrow at the end of the defended run."""
    voided: int
    """Held, and voided when nobody reviewed them (on_expiry = "void")."""
    cut: float | None
    """1 − defended / undefended."""
    cut_clamped: float | None
    """The same with each attacker's gain floored at 0: a defence that also took some of one
    attacker's honest earnings does not offset another attacker's gain."""
    if_released: int
    """Σ gain had the expired holds been released instead (defended + voided)."""
    cut_if_released: float | None


def gains(members: Iterable[int], run: Detection, baseline: Detection) -> dict[int, int]:
    """Each member's balance in `run` minus their balance in `baseline` (0 when absent)."""
    return {m: run.balances.get(m, 0) - baseline.balances.get(m, 0) for m in members}


def token_score(
    members: set[int], defended: Detection, undefended: Detection, honest_only: Detection
) -> TokenScore:
    kept = gains(members, defended, honest_only)
    unchecked = gains(members, undefended, honest_only)
    total = sum(unchecked.values())
    voided = sum(defended.escrow[m]["voided"] for m in members if m in defended.escrow)
    pending = sum(defended.escrow[m]["held"] for m in members if m in defended.escrow)
    released = sum(kept.values()) + voided
    return TokenScore(
        accounts=len(members),
        defended=sum(kept.values()),
        undefended=total,
        pending=pending,
        voided=voided,
        cut=_cut(sum(kept.values()), total),
        cut_clamped=_cut(
            sum(max(g, 0) for g in kept.values()), sum(max(g, 0) for g in unchecked.values())
        ),
        if_released=released,
        cut_if_released=_cut(released, total),
    )


def _cut(kept: int, unchecked: int) -> float | None:
    return 1 - kept / unchecked if unchecked > 0 else None


def token_scores(
    labels: Labels, defended: Detection, undefended: Detection, honest_only: Detection
) -> dict[str, TokenScore]:
    """Per attack type, and "all" attackers together."""
    groups = {attack: labels.of_type(attack) for attack in ATTACKS}
    groups["all"] = set(labels.attackers)
    return {
        name: token_score(members, defended, undefended, honest_only)
        for name, members in groups.items()
    }


def honest_tokens(labels: Labels, found: Detection) -> dict[str, int]:
    """What the honest members hold at the end of a run, and what the detector took from them."""
    honest = honest_members(labels, found)
    escrow = [found.escrow[m] for m in honest if m in found.escrow]
    return {
        "received": sum(found.balances.get(m, 0) for m in honest),
        "pending": sum(e["held"] for e in escrow),
        "voided": sum(e["voided"] for e in escrow),
        "released": sum(e["released"] for e in escrow),
    }
