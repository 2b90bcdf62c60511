"""bench/fraud: the simulated community and its labelled attackers have the properties the
detector will be measured on, and the log replays through the real engine.

Two communities are generated once per module: a small one with attackers (60 members over 10
days) and, for the statistics of honest behaviour, an honest crowd (300 members over 14 days,
no attackers). The checks read the JSONL back as `replay` would (exchanges per rules 3 and 4)
and compare with the labels.
"""

from __future__ import annotations

import io
import itertools
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from bench.fraud.simulate import generate, labels_path, main
from bench.fraud.world import DAY_MS, YEAR_MS, SimConfig, snowflake_ms
from bot.guild_config import load_config, parse_config
from bot.replay import Replay

SMALL = SimConfig(members=60, days=10, seed=7, rings=2, collusion_pairs=3, spam_bots=1, bursts=2)
CROWD = SimConfig(members=300, days=14, seed=7, rings=0, collusion_pairs=0, spam_bots=0, bursts=0)
MENTION = re.compile(r"<@!?\d+>")
STRIP = re.compile(r"<@!?\d+>|\s|[^\w\s]")  # mentions, whitespace, emoji and punctuation


def ms_of(ts: str) -> int:
    return int(datetime.fromisoformat(ts).timestamp() * 1000)


@dataclass(slots=True)
class Exchange:
    day: int
    source: str
    target: str
    kind: str
    ms: int
    message: str
    content: str | None = None
    reply_ms: int | None = None
    """For a reply: when the message it replies to was sent."""


@dataclass
class Log:
    """The JSONL read back: members, messages, and the exchanges rules 3 and 4 make."""

    start_ms: int
    days: int
    records: list[dict]
    joined: dict[str, int | None] = field(default_factory=dict)
    bots: set[str] = field(default_factory=set)
    messages: dict[str, dict] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)
    unknown_replies: int = 0
    """Replies to a message not seen before them in the file."""

    def day(self, ms: int) -> int:
        return (ms - self.start_ms) // DAY_MS

    def human(self, user: str | None) -> bool:
        return user is not None and user not in self.bots


def read_log(data: bytes, config: SimConfig) -> Log:
    start = datetime(config.start.year, config.start.month, config.start.day, tzinfo=UTC)
    start_ms = int(start.timestamp() * 1000)
    log = Log(start_ms, config.days, [orjson.loads(line) for line in data.splitlines()])
    for record in log.records:
        kind = record["type"]
        if kind == "member":
            log.joined[record["user"]] = ms_of(record["ts"]) if "ts" in record else None
            if record.get("bot"):
                log.bots.add(record["user"])
        elif kind == "message":
            ms = ms_of(record["ts"])
            record["ms"] = ms
            log.messages[record["id"]] = record
            author = record["author"]
            if record.get("bot") or record.get("system") or author in log.bots:
                continue
            day, content = log.day(ms), record.get("content")
            replied = None
            if "reply_to" in record:
                target = log.messages.get(record["reply_to"])
                if target is None:
                    log.unknown_replies += 1
                replied = record.get("reply_to_author") or (target and target["author"])
                if log.human(replied) and replied != author:
                    at = target["ms"] if target else None
                    log.exchanges.append(
                        Exchange(day, author, replied, "reply", ms, record["id"], content, at)
                    )
            for named in record.get("mentions", ()):
                if named != replied and named != author and log.human(named):
                    log.exchanges.append(
                        Exchange(day, author, named, "mention", ms, record["id"], content)
                    )
        elif kind == "reaction":
            ms = ms_of(record["ts"])
            target = log.messages.get(record["message"])
            author = record.get("message_author") or (target and target["author"])
            if log.human(author) and author != record["user"] and log.human(record["user"]):
                log.exchanges.append(
                    Exchange(log.day(ms), record["user"], author, "reaction", ms, record["message"])
                )
    return log


def effort(content: str | None) -> int:
    """Characters left once mentions, whitespace, emoji and punctuation go."""
    return len(STRIP.sub("", content or ""))


def tiny(content: str | None) -> bool:
    return effort(content) <= 2


@pytest.fixture(scope="module")
def simulated() -> tuple[bytes, dict, Log]:
    out = io.BytesIO()
    result = generate(out, SMALL)
    return out.getvalue(), result.labels, read_log(out.getvalue(), SMALL)


@pytest.fixture(scope="module")
def crowd() -> tuple[dict, Log]:
    out = io.BytesIO()
    result = generate(out, CROWD)
    return result.labels, read_log(out.getvalue(), CROWD)


def chat_messages(log: Log) -> list[dict]:
    """Messages by people: no bots, no system messages."""
    return [m for m in log.messages.values() if not m.get("bot") and not m.get("system")]


def attackers(labels: dict, kind: str) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = defaultdict(list)
    for member, entry in labels["members"].items():
        if entry["attack"] == kind:
            groups[entry["group"]].append(member)
    return dict(groups)


def day_of(labels: dict, iso: str) -> int:
    return (datetime.fromisoformat(iso) - datetime.fromisoformat(labels["config"]["start"])).days


# -- determinism and format --------------------------------------------------------------------


def test_same_seed_writes_the_same_bytes_and_another_seed_does_not(simulated) -> None:
    data, labels, _ = simulated
    again = io.BytesIO()
    assert generate(again, SMALL).labels == labels
    assert again.getvalue() == data
    other = io.BytesIO()
    generate(other, replace(SMALL, seed=8))
    assert other.getvalue() != data


def test_attacks_leave_the_honest_events_unchanged(simulated) -> None:
    """Each attack draws from its own generator: turning them off removes their events and
    nothing else, so honest members can be measured with and without attackers around."""
    data, labels, _log = simulated
    quiet = io.BytesIO()
    generate(quiet, replace(SMALL, rings=0, collusion_pairs=0, spam_bots=0, bursts=0))
    attack_ids = set(labels["members"])
    honest_lines = set(quiet.getvalue().splitlines())
    kept = [line for line in data.splitlines() if line in honest_lines]
    assert len(kept) == len(honest_lines)  # every honest event is still there, unchanged
    extra = [orjson.loads(line) for line in data.splitlines() if line not in honest_lines]
    assert any(r.get("author") in attack_ids or r.get("user") in attack_ids for r in extra)


def test_ids_encode_time_and_optional_fields_vary(simulated) -> None:
    _, _, log = simulated
    messages = list(log.messages.values())
    assert all(snowflake_ms(int(m["id"])) == m["ms"] for m in messages)
    replies = [m for m in messages if "reply_to" in m]
    with_author = sum("reply_to_author" in m for m in replies)
    assert 0.3 < with_author / len(replies) < 0.7
    reactions = [r for r in log.records if r["type"] == "reaction"]
    assert 0 < sum("message_author" in r for r in reactions) < len(reactions)
    stamps = [ms_of(r["ts"]) for r in log.records if "ts" in r]
    assert stamps == sorted(stamps)
    assert log.unknown_replies == 0  # every reply follows what it replies to
    assert {r["type"] for r in log.records} == {"member", "message", "reaction", "delete"}


# -- the honest community ----------------------------------------------------------------------


def test_honest_activity_is_heavy_tailed_with_quiet_weekends(crowd) -> None:
    _, log = crowd
    messages = chat_messages(log)
    per_author = sorted(Counter(m["author"] for m in messages).values(), reverse=True)
    top = per_author[: len(per_author) // 10]
    assert sum(top) >= 0.4 * sum(per_author)  # the top tenth writes 4 times its share or more
    per_day = Counter(log.day(m["ms"]) for m in messages)
    weekend = [per_day[d] for d in range(log.days) if (CROWD.start + timedelta(d)).weekday() >= 5]
    weekday = [per_day[d] for d in range(log.days) if (CROWD.start + timedelta(d)).weekday() < 5]
    assert statistics.mean(weekend) < 0.75 * statistics.mean(weekday)


def test_honest_content_looks_like_chat(crowd) -> None:
    _, log = crowd
    contents = [m["content"] for m in chat_messages(log)]
    lengths = [len(MENTION.sub("", c).strip()) for c in contents]
    assert 15 <= statistics.median(lengths) <= 80
    assert max(lengths) > 100
    assert len(set(contents)) > 0.6 * len(contents)
    short = Counter(contents)
    assert all(short[c] >= 3 for c in ("lol", "ok!", "same"))  # replies a detector must spare
    assert 0.03 <= sum(effort(c) <= 2 for c in contents) / len(contents) <= 0.15
    assert any(c == "" for c in contents)  # attachment-only posts


def test_honest_replies_come_at_human_delays(crowd) -> None:
    _, log = crowd
    delays = [
        (e.ms - e.reply_ms) / 1000
        for e in log.exchanges
        if e.reply_ms is not None and log.day(e.reply_ms) == e.day
    ]
    assert 20 <= statistics.median(delays) <= 120
    # Lively threads answer within seconds too: ping-pong timing alone is not fraud.
    assert 0.01 <= sum(d < 10 for d in delays) / len(delays) <= 0.15


def test_newcomers_join_over_time_and_founders_are_old_accounts(crowd) -> None:
    _, log = crowd
    start = log.start_ms
    founders = [u for u, joined in log.joined.items() if joined is None and u not in log.bots]
    newcomers = {u: j for u, j in log.joined.items() if j is not None}
    assert all(snowflake_ms(int(u)) < start - 30 * DAY_MS for u in founders)
    assert len(newcomers) == round(0.15 * CROWD.members)
    assert len({log.day(j) for j in newcomers.values()}) >= 5
    assert all(start <= j < start + log.days * DAY_MS for j in newcomers.values())
    assert all(snowflake_ms(int(u)) <= j for u, j in newcomers.items())
    # Some newcomers have brand-new accounts (created within two days of joining), honestly.
    assert any(j - snowflake_ms(int(u)) < 2 * DAY_MS for u, j in newcomers.items())
    first_post = {}
    for m in log.messages.values():
        first_post.setdefault(m["author"], m["ms"])
    assert all(first_post.get(u, j) >= j for u, j in newcomers.items())


def test_people_go_quiet(crowd) -> None:
    _, log = crowd
    days_seen: dict[str, set[int]] = defaultdict(set)
    for m in chat_messages(log):
        days_seen[m["author"]].add(log.day(m["ms"]))
    gaps = [
        max(b - a for a, b in itertools.pairwise(sorted(seen)))
        for seen in days_seen.values()
        if len(seen) >= 2
    ]
    assert sum(gap >= 4 for gap in gaps) >= 0.05 * len(gaps)  # away for days, then back
    gone = [seen for seen in days_seen.values() if max(seen) < log.days - 4 and len(seen) >= 3]
    assert gone  # active for a while, then silent


def test_some_ordinary_friends_talk_nearly_every_day(crowd) -> None:
    """Beyond the labelled look-alikes, best friends in the crowd build long honest streaks."""
    labels, log = crowd
    lookalikes = set(labels["lookalikes"])
    days: dict[tuple[str, str], set[int]] = defaultdict(set)
    directed = {(e.day, e.source, e.target) for e in log.exchanges if e.kind != "reaction"}
    for day, source, target in directed:
        mutual = source < target and (day, target, source) in directed
        if mutual and not {source, target} & lookalikes:
            days[(source, target)].add(day)
    assert sum(len(d) >= 12 for d in days.values()) >= 3


def test_reactions_and_deletes_happen(crowd) -> None:
    _, log = crowd
    kinds = Counter(r["type"] for r in log.records)
    assert kinds["reaction"] > 0.05 * kinds["message"]
    assert kinds["delete"] > 0


# -- the honest look-alikes --------------------------------------------------------------------


def test_daily_friends_talk_every_day_like_people(simulated) -> None:
    _, labels, log = simulated
    pairs = defaultdict(list)
    for member, entry in labels["lookalikes"].items():
        if entry["kind"] == "daily_friends":
            pairs[entry["group"]].append(member)
    assert len(pairs) == 2
    for a, b in pairs.values():
        assert snowflake_ms(int(a)) < log.start_ms - YEAR_MS
        assert log.joined[a] is None
        between = [
            e for e in log.exchanges if {e.source, e.target} == {a, b} and e.kind != "reaction"
        ]
        for day in range(log.days):
            directions = {(e.source, e.target) for e in between if e.day == day}
            assert directions == {(a, b), (b, a)}, f"day {day}"
        delays = [(e.ms - e.reply_ms) / 1000 for e in between if e.reply_ms is not None]
        assert statistics.median(delays) >= 15
        contents = [e.content for e in between]
        assert len(set(contents)) >= 0.7 * len(contents)
        assert sum(not tiny(c) for c in contents) >= 0.7 * len(contents)
        partners = {e.target for e in log.exchanges if e.source == a} | {
            e.target for e in log.exchanges if e.source == b
        }
        assert partners - {a, b}, "they talk to others too"


def test_tight_group_and_fast_friend_exist(simulated) -> None:
    _, labels, log = simulated
    tight = {m for m, e in labels["lookalikes"].items() if e["kind"] == "tight_group"}
    assert len(tight) == 4
    assert all(
        log.joined[m] is None and snowflake_ms(int(m)) < log.start_ms - YEAR_MS for m in tight
    )
    # Among honest members (spam and farmers reach them too, as they reach everyone).
    honest = [e for e in log.exchanges if not {e.source, e.target} & set(labels["members"])]
    theirs = [e for e in honest if e.source in tight or e.target in tight]
    inside = [e for e in theirs if e.source in tight and e.target in tight]
    assert len(inside) >= 0.9 * len(theirs)
    assert {e.day for e in inside} == set(range(log.days))

    fast = [m for m, e in labels["lookalikes"].items() if e["kind"] == "fast_friend"]
    assert len(fast) == 2
    for member in fast:
        joined = log.joined[member]
        assert joined is not None
        assert joined - snowflake_ms(int(member)) < 2 * DAY_MS
        out = {e.target for e in log.exchanges if e.source == member and e.kind != "reaction"}
        back = {e.source for e in log.exchanges if e.target == member and e.kind != "reaction"}
        mutual = out & back  # befriended, both ways, within days of joining
        assert len(mutual) >= 3
        assert sum(log.joined.get(m, 0) is None for m in mutual) >= 2  # long-standing members


# -- the attacks -------------------------------------------------------------------------------


def test_rings_are_new_accounts_talking_among_themselves_in_bursts(simulated) -> None:
    _, labels, log = simulated
    rings = attackers(labels, "ring")
    assert len(rings) == 2
    ring_pairs = {(a, b) for a, b, kind in labels["pairs"] if kind == "ring"}
    for members in rings.values():
        group = set(members)
        assert 3 <= len(group) <= 10
        assert {(a, b) for a, b in ring_pairs if a in group} == {
            tuple(sorted((a, b), key=int)) for a in group for b in group if a != b
        }
        for member in group:
            joined = log.joined[member]
            assert joined is not None
            assert log.start_ms <= joined
            assert joined - snowflake_ms(int(member)) <= 15 * DAY_MS  # a new account
        theirs = [e for e in log.exchanges if e.source in group or e.target in group]
        inside = [e for e in theirs if e.source in group and e.target in group]
        assert len(theirs) > 20
        assert len(inside) >= 0.9 * len(theirs)
        posts = sorted(
            m["ms"] for m in log.messages.values() if m["author"] in group and not m.get("system")
        )
        gaps = [b - a for a, b in itertools.pairwise(posts)]
        assert statistics.median(gaps) <= 60_000  # near-synchronous
        contents = [
            m["content"]
            for m in log.messages.values()
            if m["author"] in group and not m.get("system")
        ]
        assert statistics.median(map(effort, contents)) <= 3  # low effort
        assert max(map(effort, contents)) <= 10


def test_collusion_pairs_ping_pong_tiny_messages_every_day(simulated) -> None:
    _, labels, log = simulated
    pairs = [(a, b) for a, b, kind in labels["pairs"] if kind == "collusion"]
    assert len(pairs) == 3
    messages = chat_messages(log)
    for a, b in pairs:
        for member in (a, b):
            assert log.joined[member] is None  # real members, there all along
            assert snowflake_ms(int(member)) < log.start_ms - 180 * DAY_MS
            # Otherwise honest-looking: they also write real messages.
            assert any(m["author"] == member and effort(m["content"]) > 10 for m in messages)
        first = day_of(labels, labels["members"][a]["from"])
        gaps: list[int] = []
        for day in range(first, log.days):
            today = [e for e in log.exchanges if {e.source, e.target} == {a, b} and e.day == day]
            farmed = [e for e in today if tiny(e.content)]
            assert {(e.source, e.target) for e in farmed} == {(a, b), (b, a)}, f"day {day}"
            # The answers come seconds after what they answer (an opener may reply to the
            # partner's last "." of an earlier day).
            answers = [e for e in farmed if e.reply_ms is not None and log.day(e.reply_ms) == day]
            assert any(e.ms - e.reply_ms <= 10_000 for e in answers), f"day {day}"
            gaps += [e.ms - e.reply_ms for e in answers]
        # Nearly all of them (the rest: an honest "lol" or image between them, now and then).
        assert sum(gap <= 15_000 for gap in gaps) >= 0.9 * len(gaps)


def test_spam_bot_repeats_itself_at_many_people(simulated) -> None:
    _, labels, log = simulated
    ((spammer,),) = attackers(labels, "spam_bot").values()
    assert spammer not in log.bots
    posts = [m for m in log.messages.values() if m["author"] == spammer and not m.get("system")]
    assert not any(m.get("bot") for m in posts)
    per_day = Counter(log.day(m["ms"]) for m in posts)
    assert max(per_day.values()) >= 50
    bodies = [MENTION.sub("", m["content"]).strip() for m in posts]
    templates = {
        re.sub(r"https?://\S+|\b[a-z0-9]{6,8}\b| ?[!🎉💯✅👀]+$", "", b).strip() for b in bodies
    }
    assert len(templates) <= 4  # near-identical
    assert max(Counter(bodies).values()) >= 5  # and identical
    targets = {e.target for e in log.exchanges if e.source == spammer}
    assert len(targets) >= 15


def test_burst_farmers_jump_above_their_history_and_the_guild(simulated) -> None:
    _, labels, log = simulated
    bursts = attackers(labels, "burst")
    assert len(bursts) == 2
    sent = Counter((e.source, e.day) for e in log.exchanges if e.kind != "reaction")
    active = [count for (_, day), count in sent.items()]
    guild_median = statistics.median(active)
    for (member,) in bursts.values():
        entry = labels["members"][member]
        first, last = day_of(labels, entry["from"]), day_of(labels, entry["to"])
        assert log.joined[member] is None
        assert first >= 4
        talked = {log.day(m["ms"]) for m in log.messages.values() if m["author"] == member}
        assert min(talked) < first  # an ordinary member before the burst
        before = [sent[(member, d)] for d in range(first)]
        during = [sent[(member, d)] for d in range(first, last + 1)]
        assert min(during) >= 5 * max(1, statistics.median(before))
        assert min(during) >= 5 * guild_median
        assert all(sent[(member, d)] < min(during) / 3 for d in range(last + 1, log.days))


# -- the engine reads it, the CLI writes it ----------------------------------------------------


async def test_the_log_replays_through_the_engine(simulated, tmp_path: Path) -> None:
    data, labels, _ = simulated
    path = tmp_path / "fraud.jsonl"
    path.write_bytes(data)
    collusion = {(a, b) for a, b, kind in labels["pairs"] if kind == "collusion"}
    undefended = parse_config({"fraud": {"enabled": False}})
    result = await Replay([path], undefended).run()
    (guild,) = result.to_json()["guilds"]
    assert guild["first_day"] == "2026-03-02"
    assert guild["last_closed_day"] == "2026-03-11"
    streaks = {tuple(s["members"]) for s in guild["streaks"]}
    assert collusion <= streaks  # without the checks, the farming works
    assert result.stats.messages > 4000
    defended = await Replay([path], load_config(None)).run()
    (guild,) = defended.to_json()["guilds"]
    streaks = {tuple(s["members"]) for s in guild["streaks"]}
    assert not collusion & streaks  # their minimal messages count for nothing
    assert defended.stats.low_quality > 0


def test_cli_writes_the_log_the_labels_and_a_summary(tmp_path: Path, capsys) -> None:
    output = tmp_path / "out" / "fraud.jsonl"
    args = [
        "-o",
        str(output),
        "--members",
        "40",
        "--days",
        "8",
        "--rings",
        "1",
        "--collusion-pairs",
        "1",
        "--spam-bots",
        "1",
        "--bursts",
        "1",
    ]
    assert main(args) == 0
    labels = orjson.loads(labels_path(output).read_bytes())
    assert labels_path(output) == tmp_path / "out" / "fraud.labels.json"
    assert {e["attack"] for e in labels["members"].values()} == {
        "ring",
        "collusion",
        "spam_bot",
        "burst",
    }
    assert labels["config"]["members"] == 40
    assert labels["config"]["days"] == 8
    printed = capsys.readouterr().out
    assert "attackers:" in printed
    assert "collusion 2 in 1 pairs" in printed
    first = output.read_bytes()
    assert main(args) == 0
    assert output.read_bytes() == first
