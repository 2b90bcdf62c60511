"""What people write: honest chat of varied length and words, and the attackers' content.

Honest lines mix short replies ("lol", "ok!", "same"), emoji, attachment-only posts (empty
content) and sentences built from templates over each channel's topic vocabulary, one to three
of them. The short honest replies are deliberate: a real community is full of them, and a
detector that punishes every short message punishes real friends.
"""

from __future__ import annotations

import random

TOPICS = (
    "general", "gaming", "dev", "music", "food", "pets",
    "art", "memes", "help", "offtopic", "events", "media",
)  # fmt: skip

_NOUNS = {
    "general": ("weekend", "weather", "server", "plan", "trip", "week", "news", "meeting"),
    "gaming": ("raid", "boss fight", "patch", "ranked match", "new map", "build", "loot", "quest"),
    "dev": ("PR", "build", "test suite", "deploy", "bug", "branch", "release", "linter"),
    "music": ("album", "playlist", "concert", "track", "bassline", "remix", "vinyl", "setlist"),
    "food": ("ramen", "pizza", "recipe", "curry", "sourdough", "coffee", "dumplings", "salad"),
    "pets": ("cat", "puppy", "vet visit", "litter box", "walk", "hamster", "fish tank", "leash"),
    "art": ("sketch", "palette", "commission", "tablet", "linework", "portrait", "brush", "zine"),
    "memes": ("meme", "template", "reaction gif", "joke", "caption", "shitpost", "clip", "pun"),
    "help": ("error", "config", "install", "driver", "password", "update", "setting", "log"),
    "offtopic": ("movie", "book", "show", "podcast", "bike", "garden", "apartment", "job"),
    "events": ("stream", "game night", "meetup", "tournament", "quiz", "watch party", "poll"),
    "media": ("photo", "video", "screenshot", "edit", "thumbnail", "camera", "upload", "reel"),
}
_VERBS = (
    "try", "finish", "fix", "watch", "play", "skip", "check", "share", "cook", "start",
    "review", "redo", "book", "grab", "test", "post", "order", "sell", "learn", "plan",
)  # fmt: skip
_PAST = (
    "tried", "finished", "fixed", "watched", "played", "skipped", "checked", "shared", "broke",
    "started", "reviewed", "redid", "booked", "grabbed", "tested", "posted", "ordered", "lost",
)  # fmt: skip
_ADJECTIVES = (
    "great", "weird", "broken", "huge", "cursed", "amazing", "slow", "cheap", "wild", "fine",
    "underrated", "annoying", "perfect", "sus", "cozy", "loud", "tiny", "fresh", "rough", "fun",
)  # fmt: skip
_TIMES = (
    "tonight", "tomorrow", "later", "this weekend", "after work", "on friday", "next week",
    "rn", "in an hour", "soon", "today", "this morning",
)  # fmt: skip
_TEMPLATES = (
    "did anyone {v} the {n} yet", "i just {p} the {n}", "the {n} is {a} today",
    "anyone up for a {n} {t}", "can someone help me with the {n}", "{t} i'm going to {v} the {n}",
    "not sure the {n} is worth it", "my {n} is {a} again", "how do you {v} a {n}",
    "that {n} was {a}", "wait is the {n} {a}", "i think the {n} is {a} but the {m} is {a}",
    "we should {v} the {n} {t}", "lowkey want to {v} the {n} {t}", "who else {p} the {n}",
    "ok the {n} is actually {a}", "finally {p} the {n}", "the {n} and the {m} are both {a}",
    "still can't believe they {p} the {n}", "anyone know why the {n} is so {a}",
    "gonna {v} the {n} {t}, who's in", "i {p} the {n} and it was {a}", "is the {n} {a} for you too",
    "pretty sure the {n} is {a}", "thinking about the {n} {t}", "the {m} made the {n} {a}",
    "ngl the {n} is {a}", "you have to {v} the {n}", "never {p} a {n} that {a} before",
    "reminder: {n} {t}", "so who wants to {v} the {n}", "the new {n} looks {a}",
)  # fmt: skip
_OPENERS = ("", "", "", "", "honestly ", "tbh ", "wait ", "ok so ", "lol ", "yeah ", "hmm ", "btw ")
_ENDINGS = ("", "", "", "", "!", "?", "...", " lol", " haha", " 😂", " 🙏", " tbh", " !!")

SHORT = (
    "lol", "lmao", "ok", "ok!", "okay", "same", "same lol", "ty", "ty!", "thx", "thanks!",
    "yes", "yep", "yup", "nope", "no", "true", "so true", "haha", "hahaha", "omg", "nice",
    "nice!", "gg", "wow", "oof", "rip", "idk", "hmm", "sure", "oh", "ah", "yeah", "fr", "agreed",
    "+1", "gm", "gn", "brb", "back", "oh no", "yikes", "mood", "wait what", "no way", "lol yes",
    "k", "kk", "?", "!!", "yess", "sameee", "lolll", "hahah", "real", "big if true", "bet",
)  # fmt: skip
EMOJI = ("😂", "👍", "🙏", "❤️", "😭", "🔥", "💀", "😅", "👀", "🎉", "😄", "🤔", "🙂", "💯", "🥲")

RING_LINES = (
    ".", "..", "hi", "hey", "yo", "gm", "gn", "ok", "k", "kk", "lol", "nice", "+1", "👍", "🔥",
    "💯", "ty", "sup", "same", "ya", "hi all", "gm all", "nice one", "ok ok",
)  # fmt: skip
COLLUSION_LINES = (".", "k", "x", "1", "👍", "🔥", "ok", ".", "k", "✅", "..", "^")
BURST_LINES = (
    "nice!", "agreed", "so true", "haha yes", "love this", "same here", "great point", "facts",
    "this!!", "totally", "ha nice one", "good stuff", "100%", "exactly", "well said",
    "yes!! love it", "congrats!", "so cool", "can't wait", "big mood",
)  # fmt: skip
SPAM_TEMPLATES = (
    "🎁 FREE NITRO for everyone! claim yours before it's gone: https://dlscord-gift.com/{code}",
    "🔥 join my server for daily giveaways!!! https://discord.gg/{code} 🔥",
    "earn $500 a day from home, DM me to learn how 💸 {code}",
)
SPAM_DECORATIONS = ("", "", " !!", " 🎉", " 💯", " ✅", " 👀")
PUSHBACK = (
    "stop spamming", "mods?", "pls stop", "not this again", "can a mod ban this", "reported",
    "bruh", "nobody wants this",
)  # fmt: skip


class Chat:
    """Honest lines from one generator (hot: about a million calls at the default size)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        # Templates pre-split into literal parts and slots, so a line is a few random picks.
        self._templates = [_split(template) for template in _TEMPLATES]

    def line(self, terse: float, topic: int) -> str:
        """An honest message: `terse` is the writer's share of short replies."""
        rand = self._rng.random
        draw = rand()
        if draw < 0.015:
            return ""  # an attachment or a sticker: no text at all
        if draw < 0.035:
            return "".join(self._rng.choices(EMOJI, k=1 + int(rand() * 3)))
        if draw < 0.035 + terse:
            return self.short()
        sentences = 1 if draw < 0.7 else 2 if draw < 0.93 else 3
        nouns = _NOUNS[TOPICS[topic]] if rand() < 0.7 else _NOUNS[TOPICS[int(rand() * 12)]]
        text = " ".join(self._sentence(nouns) for _ in range(sentences))
        text = _OPENERS[int(rand() * len(_OPENERS))] + text + _ENDINGS[int(rand() * 13)]
        if rand() < 0.25:
            text = text[0].upper() + text[1:]
        if rand() < 0.08:
            text = f"{self.short()} {text}"
        return text

    def short(self) -> str:
        rand = self._rng.random
        text = SHORT[int(rand() * len(SHORT))]
        draw = rand()
        if draw < 0.1:
            text = text + "!"
        elif draw < 0.15:
            text = text.upper()
        elif draw < 0.2:
            text = f"{text} {EMOJI[int(rand() * len(EMOJI))]}"
        return text

    def _sentence(self, nouns: tuple[str, ...]) -> str:
        rand = self._rng.random
        parts = self._templates[int(rand() * len(self._templates))]
        out = []
        for kind, literal in parts:
            if kind == "":
                out.append(literal)
            elif kind in "nm":
                out.append(nouns[int(rand() * len(nouns))])
            elif kind == "v":
                out.append(_VERBS[int(rand() * len(_VERBS))])
            elif kind == "p":
                out.append(_PAST[int(rand() * len(_PAST))])
            elif kind == "a":
                out.append(_ADJECTIVES[int(rand() * len(_ADJECTIVES))])
            else:
                out.append(_TIMES[int(rand() * len(_TIMES))])
        return "".join(out)


def _split(template: str) -> list[tuple[str, str]]:
    """ "the {n} is {a}" -> [("", "the "), ("n", ""), ("", " is "), ("a", "")]."""
    parts: list[tuple[str, str]] = []
    rest = template
    while "{" in rest:
        before, _, after = rest.partition("{")
        slot, _, rest = after.partition("}")
        if before:
            parts.append(("", before))
        parts.append((slot, ""))
    if rest:
        parts.append(("", rest))
    return parts


def spam_line(rng: random.Random, template: str) -> str:
    """A near-identical copy of a spam template: a fresh code, sometimes a decoration."""
    code = "".join(rng.choices("abcdefghijkmnpqrstuvwxyz23456789", k=rng.choice((0, 6, 8))))
    text = template.format(code=code).replace("  ", " ").strip()
    return text + rng.choice(SPAM_DECORATIONS)
