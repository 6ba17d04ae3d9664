"""Screening replies as they arrive: shown at once, held for review, or dropped.

federation's inbox hands over a batch of replies (Candidate) with the
facts only it knows (when a server was first seen); moderation decides.
In this order:

1. The creator blocked the author: dropped.
2. Domain policies, which apply first: a blocked server is dropped, a
   silenced one is held, media from a server whose media is rejected is
   not listed.
3. The screening rules (ScreeningRules): the instance's, set by admins,
   plus the creator's own. Hold everything; hold first-time repliers
   (no like, boost, follow or shown reply before); hold servers first seen
   lately; hold on a filtered word or pattern; hold link-only replies and
   mention spam; hold a flood (more than N replies from one account in M
   minutes, counted per creator).

Every reason that applies is kept, in words a person understands, in the
reply's `hold_reason`. A batch costs a fixed number of queries whatever
its size: rules, policies and blocks (one each) and, only when a rule
needs them, history and recent replies (one each).
"""

import functools
import logging
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import regex
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from analytics.models import Interaction, Reply

from . import text
from .models import DomainPolicy, ScreeningRules
from .policies import domain_policies_among
from .selectors import actor_blocks_among

logger = logging.getLogger(__name__)

# A filter list: at most this many entries, each at most this long.
MAX_FILTERS = 500
MAX_FILTER_CHARS = 200
# Patterns are user input run on hostile input: each search may take this
# long, and all searches of one batch this long together. A reply a pattern
# could not finish on is held (a person can look), never let through.
REGEX_TIMEOUT_SECONDS = 0.05
REGEX_BUDGET_SECONDS = 0.5
# Only this much of a reply is read: spam says what it wants early.
READ_CHARS = 20_000


@dataclass(frozen=True)
class Candidate:
    """A reply about to be stored, as screening needs to see it."""

    key: str  # the Note's id
    creator_id: int
    actor_uri: str
    # The author's server first, then those of anyone else it is
    # attributed to (a relayed Note).
    domains: tuple[str, ...]
    content_html: str
    summary: str = ""
    mentions: Sequence[dict] = ()
    # When federation first heard of the author's server; None: unknown.
    server_first_seen: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    """What to do with one reply."""

    drop: bool = False
    status: str = Reply.Status.VISIBLE
    # Why it is held (or dropped), for people.
    reason: str = ""
    # Store it without its attachments (the server's media is rejected).
    strip_media: bool = False


# Filters ------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """One line of a filter list: a word (or phrase) or a /pattern/."""

    source: str  # as written
    word: str = ""  # folded (text.fold)
    simple_word: str = ""  # text.simple_fold
    pattern: regex.Pattern | None = None

    @property
    def label(self) -> str:
        return self.source if self.pattern is not None else f"“{self.source}”"


class FilterError(ValueError):
    pass


def _parse_line(line: str) -> Filter | None:
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    if len(line) > MAX_FILTER_CHARS:
        raise FilterError(
            f"“{line[:30]}…” is longer than {MAX_FILTER_CHARS} characters"
        )
    if len(line) > 2 and line.startswith("/") and line.endswith("/"):
        try:
            pattern = regex.compile(line[1:-1], regex.IGNORECASE | regex.VERSION0)
        except regex.error as exc:
            raise FilterError(f"{line} is not a valid pattern: {exc}") from None
        return Filter(source=line, pattern=pattern)
    word = text.fold(line)
    if not word.strip():
        raise FilterError(f"“{line}” has no letters left to match")
    return Filter(source=line, word=word, simple_word=text.simple_fold(line))


def parse_filters(lines: str) -> tuple[Filter, ...]:
    """A filter list (one entry per line; `#` starts a comment); FilterError
    names the first bad entry."""
    filters = tuple(
        f for f in (_parse_line(line) for line in lines.splitlines()) if f is not None
    )
    if len(filters) > MAX_FILTERS:
        raise FilterError(f"a list holds at most {MAX_FILTERS} entries")
    return filters


@functools.lru_cache(maxsize=256)
def _filters(lines: str) -> tuple[Filter, ...]:
    """Compiled once per process and list; a list saved with an error
    (it cannot be, through the service) keeps its good entries."""
    try:
        return parse_filters(lines)
    except FilterError:
        kept = []
        for line in lines.splitlines():
            try:
                if (entry := _parse_line(line)) is not None:
                    kept.append(entry)
            except FilterError:
                logger.warning("screening: skipped a bad filter entry %r", line[:60])
        return tuple(kept[:MAX_FILTERS])


class _Budget:
    """Time left for pattern searches in one batch."""

    def __init__(self, seconds: float):
        self.left = seconds

    def search(self, pattern: regex.Pattern, haystack: str) -> bool | None:
        """Whether the pattern matches; None if it could not tell in time."""
        if self.left <= 0:
            return None
        started = time.monotonic()
        try:
            return (
                pattern.search(haystack, timeout=min(REGEX_TIMEOUT_SECONDS, self.left))
                is not None
            )
        except TimeoutError:
            return None
        finally:
            self.left -= time.monotonic() - started


@dataclass(frozen=True)
class _FilterSet:
    """The filter lists in force for a creator, compiled: one pattern for
    all the words (on each of the two folded forms), then each pattern."""

    words: re.Pattern | None
    simple_words: re.Pattern | None
    by_word: dict[str, Filter]
    by_simple_word: dict[str, Filter]
    patterns: tuple[Filter, ...]

    def __bool__(self) -> bool:
        return bool(self.by_word or self.patterns)


@functools.lru_cache(maxsize=256)
def _filter_set(lists: tuple[str, ...]) -> _FilterSet:
    entries = [entry for lines in lists for entry in _filters(lines)]
    words = [entry for entry in entries if entry.pattern is None]
    return _FilterSet(
        words=text.words_pattern(entry.word for entry in words),
        simple_words=text.words_pattern(entry.simple_word for entry in words),
        by_word={entry.word: entry for entry in words},
        by_simple_word={entry.simple_word: entry for entry in words},
        patterns=tuple(entry for entry in entries if entry.pattern is not None),
    )


def _filter_hits(
    filters: _FilterSet, *, plain: str, budget: _Budget
) -> tuple[list[Filter], bool]:
    """The filters a reply trips, and whether a pattern ran out of time."""
    hits, timed_out = [], False
    folded = text.fold(plain)
    if filters.words is not None:
        hits += [filters.by_word[m] for m in filters.words.findall(folded)]
        simple = text.simple_fold(plain)
        hits += [
            filters.by_simple_word[m] for m in filters.simple_words.findall(simple)
        ]
    for entry in filters.patterns:
        # Against the folded text (evasions) and the text as written
        # (patterns with digits or capitals in mind).
        found = budget.search(entry.pattern, folded)
        if not found:
            found = budget.search(entry.pattern, plain) or found
        if found:
            hits.append(entry)
        elif found is None:
            timed_out = True
    return hits, timed_out


# Rules ----------------------------------------------------------------------------


@dataclass
class _Rules:
    """The rules that apply to one creator: the instance's and their own."""

    sets: list[ScreeningRules] = field(default_factory=list)

    def any(self, name: str) -> bool:
        return any(getattr(rules, name) for rules in self.sets)

    @property
    def new_server_days(self) -> int:
        return max(r.new_server_days for r in self.sets if r.hold_new_servers)

    @property
    def mention_limit(self) -> int:
        return min(r.mention_limit for r in self.sets if r.hold_mention_spam)

    @property
    def floods(self) -> list[tuple[int, int]]:
        """(limit, minutes) of each flood rule in force."""
        return sorted(
            {(r.flood_limit, r.flood_minutes) for r in self.sets if r.flood_limit}
        )

    @property
    def filters(self) -> _FilterSet:
        return _filter_set(tuple(r.keywords for r in self.sets if r.keywords))


def rules_for(creator_ids: Iterable[int]) -> dict[int, _Rules]:
    """The rules in force for each creator, in one query. Without an
    instance row, the model's defaults stand in for the admins'."""
    creator_ids = set(creator_ids)
    rows = list(
        ScreeningRules.objects.filter(
            Q(is_instance=True) | Q(creator_id__in=creator_ids)
        )
    )
    instance = next(
        (row for row in rows if row.is_instance), ScreeningRules(is_instance=True)
    )
    own = {row.creator_id: row for row in rows if not row.is_instance}
    return {
        pk: _Rules([instance, *([own[pk]] if pk in own else [])]) for pk in creator_ids
    }


# Facts about the authors ----------------------------------------------------------


# Both read the interactions table by actor (its actor index), not the
# replies table, whose indexes start with the creator: a creator with a
# million replies would cost a scan of them.

_REPLY_KINDS = [Interaction.Kind.REPLY, Interaction.Kind.QUOTE]


def known_pairs(pairs: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """(actor, creator) pairs where the actor interacted with the creator
    before: a like, boost, reaction or follow, or a reply that is shown."""
    if not pairs:
        return set()
    shown = Reply.objects.filter(
        ap_id=OuterRef("activity_id"), status=Reply.Status.VISIBLE
    )
    found = set(
        Interaction.objects.filter(
            actor_uri__in={actor for actor, _ in pairs},
            creator_id__in={creator for _, creator in pairs},
        )
        .filter(~Q(kind__in=_REPLY_KINDS) | Exists(shown))
        .values_list("actor_uri", "creator_id")
        .distinct()
    )
    return found & pairs


def recent_reply_counts(
    pairs: set[tuple[str, int]], *, minutes: Iterable[int], now: datetime
) -> dict[tuple[str, int, int], int]:
    """(actor, creator, window in minutes) -> replies received in it."""
    minutes = sorted(set(minutes))
    if not pairs or not minutes:
        return {}
    windows = {
        f"w{m}": Count("pk", filter=Q(received_at__gte=now - timedelta(minutes=m)))
        for m in minutes
    }
    rows = (
        Interaction.objects.filter(
            actor_uri__in={actor for actor, _ in pairs},
            creator_id__in={creator for _, creator in pairs},
            kind__in=_REPLY_KINDS,
            received_at__gte=now - timedelta(minutes=minutes[-1]),
        )
        .values("actor_uri", "creator_id")
        .annotate(**windows)
    )
    counts = {}
    for row in rows:
        for m in minutes:
            counts[(row["actor_uri"], row["creator_id"], m)] = row[f"w{m}"]
    return counts


def _age_words(first_seen: datetime | None, now: datetime) -> str:
    if first_seen is None:
        return "never seen before"
    days = (now - first_seen).days
    if days <= 0:
        return "first seen today"
    if days == 1:
        return "first seen yesterday"
    return f"first seen {days} days ago"


# Screening -------------------------------------------------------------------------


def screen_replies(
    candidates: Sequence[Candidate], *, now: datetime | None = None
) -> dict[str, Verdict]:
    """A verdict for each candidate, by key, in the order given (a flood is
    counted across the batch too)."""
    if not candidates:
        return {}
    now = now or timezone.now()
    rules = rules_for(c.creator_id for c in candidates)
    policies = domain_policies_among(
        {domain for c in candidates for domain in c.domains}
    )
    blocked_by = actor_blocks_among({c.actor_uri for c in candidates})

    pairs = {(c.actor_uri, c.creator_id) for c in candidates}
    first_time_pairs = {
        (c.actor_uri, c.creator_id)
        for c in candidates
        if rules[c.creator_id].any("hold_first_time")
    }
    known = known_pairs(first_time_pairs)
    flood_minutes = {m for r in rules.values() for _, m in r.floods}
    recent = recent_reply_counts(pairs, minutes=flood_minutes, now=now)
    in_batch: Counter = Counter()
    budget = _Budget(REGEX_BUDGET_SECONDS)

    verdicts = {}
    for candidate in candidates:
        pair = (candidate.actor_uri, candidate.creator_id)
        if candidate.creator_id in blocked_by.get(candidate.actor_uri, ()):
            verdicts[candidate.key] = Verdict(
                drop=True, reason="blocked by the creator"
            )
            continue
        facts = [policies.get(domain) for domain in candidate.domains]
        if any(f and f.severity == DomainPolicy.Severity.BLOCK for f in facts):
            verdicts[candidate.key] = Verdict(drop=True, reason="from a blocked server")
            continue
        reasons = [
            f"the server {domain} is silenced by the admins"
            for domain, f in zip(candidate.domains, facts, strict=True)
            if f and f.severity == DomainPolicy.Severity.SILENCE
        ]
        strip_media = any(f and f.reject_media for f in facts)
        reasons += _rule_reasons(
            candidate,
            rules[candidate.creator_id],
            known=pair in known,
            recent=recent,
            in_batch=in_batch,
            budget=budget,
            now=now,
        )
        in_batch[pair] += 1
        verdicts[candidate.key] = _verdict(reasons, strip_media=strip_media)
    return verdicts


def _rule_reasons(
    candidate: Candidate,
    rules: _Rules,
    *,
    known: bool,
    recent: dict,
    in_batch: Counter,
    budget: _Budget,
    now: datetime,
) -> list[str]:
    reasons = []
    if rules.any("hold_all"):
        reasons.append("every reply waits for review")
    if rules.any("hold_first_time") and not known:
        reasons.append("first reply from an account that never interacted before")
    if rules.any("hold_new_servers"):
        first_seen = candidate.server_first_seen
        if first_seen is None or first_seen > now - timedelta(
            days=rules.new_server_days
        ):
            domain = candidate.domains[0] if candidate.domains else "its server"
            reasons.append(
                f"from a new server: {domain}, {_age_words(first_seen, now)}"
            )
    pair = (candidate.actor_uri, candidate.creator_id)
    for limit, minutes in rules.floods:
        count = recent.get((*pair, minutes), 0) + in_batch[pair] + 1
        if count > limit:
            reasons.append(
                f"a flood: {count} replies from this account in {minutes} minutes "
                f"(more than {limit})"
            )
            break
    mention_spam = rules.any("hold_mention_spam")
    filters = rules.filters
    if not (filters or rules.any("hold_link_only") or mention_spam):
        return reasons
    read = text.read_reply(
        candidate.content_html, summary=candidate.summary, limit=READ_CHARS
    )
    if rules.any("hold_link_only") and read.is_link_only:
        reasons.append("only a link, with no words of its own")
    if mention_spam:
        mentioned = {m.get("href") for m in candidate.mentions if isinstance(m, dict)}
        if len(mentioned) > rules.mention_limit:
            reasons.append(
                f"mentions {len(mentioned)} accounts (more than {rules.mention_limit})"
            )
    if filters:
        plain = read.searchable
        hits, timed_out = _filter_hits(filters, plain=plain, budget=budget)
        if hits:
            labels = ", ".join(dict.fromkeys(hit.label for hit in hits))
            reasons.append(f"matches the filter list: {labels}")
        if timed_out:
            reasons.append("the filter list could not be checked in time")
    return reasons


def _verdict(reasons: list[str], *, strip_media: bool) -> Verdict:
    if not reasons:
        return Verdict(strip_media=strip_media)
    words = "; ".join(reasons)
    words = words[0].upper() + words[1:]
    if len(words) > 255:
        words = words[:254] + "…"
    return Verdict(status=Reply.Status.HELD, reason=words, strip_media=strip_media)
