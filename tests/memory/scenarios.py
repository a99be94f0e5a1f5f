"""Multi-conversation memory scenarios: what people taught earlier, then a goal that depends on it.

Each scenario is a list of lines said before the goal — (speaker, channel, text) — then the
goal, and what the plan's summary must and must not contain. ``using`` names the memory the
card's "Using:" line must show ("" = the card must show none). Grow the table here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEV, ANA = "Dev Patel", "Ana Lima"
HERE, ELSEWHERE = "terminal", "design"
TEAM_BOOKING = "book a meeting with the team tomorrow at 10"
ALL_FOUR = "Ana, Ben, Chloe and Emma"  # the agency without Dev: the plan when nothing is remembered
NOISE = (("Acme", 30), ("Initech", 45), ("Umbrella", 60), ("Hooli", 15), ("Soylent", 30), ("Cyberdyne", 90))


@dataclass(frozen=True)
class Scenario:
    name: str
    before: tuple[tuple[str, str, str], ...]
    goal: str
    must: tuple[str, ...]
    must_not: tuple[str, ...] = ()
    using: str = ""
    asker: str = DEV
    channel: str = HERE
    days_later: int = 0  # the clock moves this many days before the goal
    asks: str = ""  # the plan must be this question instead of a card
    tags: tuple[str, ...] = field(default=())


SCENARIOS = [
    Scenario("nothing remembered: the agency is the team", (), TEAM_BOOKING, (ALL_FOUR,), tags=("baseline",)),
    Scenario("team stated, then used",
             ((DEV, HERE, "remember that the team is Ana, Ben and Chloe"),),
             TEAM_BOOKING, ("with Ana, Ben and Chloe",), ("Emma",), using="the team is Ana, Ben and Chloe"),
    Scenario("team stated by someone else in the channel is used",
             ((ANA, HERE, "remember that our team is Ben and Chloe"),),
             TEAM_BOOKING, ("with Ben and Chloe",), ("Emma",), using="our team is Ben and Chloe"),
    Scenario("a newer team supersedes the older",
             ((DEV, HERE, "remember that the team is Ana and Ben"),
              (DEV, HERE, "remember that the team is Ana, Ben and Chloe")),
             TEAM_BOOKING, ("with Ana, Ben and Chloe",), ("Emma",), using="the team is Ana, Ben and Chloe",
             tags=("superseded",)),
    Scenario("a smaller newer team supersedes the bigger",
             ((DEV, HERE, "remember that the team is Ana, Ben and Chloe"),
              (ANA, HERE, "remember that the team is Ben and Chloe")),
             TEAM_BOOKING, ("with Ben and Chloe",), ("Ana,", "Emma"), using="the team is Ben and Chloe",
             tags=("superseded",)),
    Scenario("a team remembered in another channel is not used",
             ((DEV, ELSEWHERE, "remember that the team is Ana and Ben"),),
             TEAM_BOOKING, (ALL_FOUR,), tags=("scope",)),
    Scenario("another person's own memory is not used",
             ((ANA, HERE, "remember for me: the team is Ben and Chloe"),),
             TEAM_BOOKING, (ALL_FOUR,), tags=("scope",)),
    Scenario("my own memory is used in any channel",
             ((DEV, ELSEWHERE, "remember for me: the team is Ana and Chloe"),),
             TEAM_BOOKING, ("with Ana and Chloe",), ("Emma",), using="the team is Ana and Chloe", tags=("scope",)),
    Scenario("a team-wide memory is used in another channel",
             ((DEV, ELSEWHERE, "remember for the team: the team is Ben and Emma"),),
             TEAM_BOOKING, ("with Ben and Emma",), ("Chloe",), using="the team is Ben and Emma", tags=("scope",)),
    Scenario("the narrower scope wins over the team's",
             ((DEV, ELSEWHERE, "remember for the team: the team is Ben and Emma"),
              (DEV, HERE, "remember that the team is Ana and Chloe")),
             TEAM_BOOKING, ("with Ana and Chloe",), ("Emma",), using="the team is Ana and Chloe", tags=("scope",)),
    Scenario("a forgotten team is not used",
             ((DEV, HERE, "remember that the team is Ana and Ben"), (DEV, HERE, "forget 1")),
             TEAM_BOOKING, (ALL_FOUR,), tags=("forgotten",)),
    Scenario("someone else cannot forget my memory",
             ((DEV, HERE, "remember that the team is Ana and Ben"), (ANA, HERE, "forget 1")),
             TEAM_BOOKING, ("with Ana and Ben",), ("Chloe",), using="the team is Ana and Ben", tags=("forgotten",)),
    Scenario("standup length stated, then used",
             ((DEV, HERE, "remember that our standups are 15 minutes"),),
             "book a standup with Ana and Ben tomorrow at 10", ("15-minute standup",),
             using="our standups are 15 minutes"),
    Scenario("standup length does not change other meetings",
             ((DEV, HERE, "remember that our standups are 15 minutes"),),
             "book a review with Ana and Ben tomorrow at 10", ("30-minute review",), ("15-minute",)),
    Scenario("the goal's own length wins over memory",
             ((DEV, HERE, "remember that our standups are 15 minutes"),),
             "book a 45 minute standup with Ana tomorrow at 10", ("45-minute standup",), ("15-minute",)),
    Scenario("a newer standup length supersedes",
             ((DEV, HERE, "remember that our standups are 15 minutes"),
              (ANA, HERE, "remember that standups are 20 minutes")),
             "book a standup with Ana and Ben tomorrow at 10", ("20-minute standup",), ("15-minute",),
             using="standups are 20 minutes", tags=("superseded",)),
    Scenario("a forgotten standup length is not used",
             ((DEV, HERE, "remember that our standups are 15 minutes"), (DEV, HERE, "forget 1")),
             "book a standup with Ana and Ben tomorrow at 10", ("30-minute standup",), ("15-minute",),
             tags=("forgotten",)),
    Scenario("meetings with a client have their own length",
             ((DEV, HERE, "remember that meetings with Globex are 45 minutes"),),
             "book a meeting with Tom Becker from Globex tomorrow at 10", ("45-minute meeting",),
             using="meetings with Globex are 45 minutes"),
    Scenario("a client's length is not used for another client",
             ((DEV, HERE, "remember that meetings with Globex are 45 minutes"),),
             "book a meeting with Maria Gonzalez from Acme tomorrow at 10", ("30-minute meeting",), ("45-minute",)),
    Scenario("team and length together",
             ((DEV, HERE, "remember that the team is Ana, Ben and Chloe"),
              (ANA, HERE, "remember for the team: our standups are 15 minutes")),
             "book a standup with the team tomorrow at 10", ("15-minute standup with Ana, Ben and Chloe",),
             using="the team is Ana, Ben and Chloe"),
    Scenario("a memory lasting a week is used within it",
             ((DEV, HERE, "remember for 1 week: the team is Ana and Ben"),),
             TEAM_BOOKING, ("with Ana and Ben",), ("Chloe",), using="the team is Ana and Ben", days_later=6,
             tags=("expired",)),
    Scenario("an expired memory is not used",
             ((DEV, HERE, "remember for 1 week: the team is Ana and Ben"),),
             TEAM_BOOKING, (ALL_FOUR,), days_later=8, tags=("expired",)),
    Scenario("an expired length is not used",
             ((DEV, HERE, "remember for the team for 3 days: standups are 10 minutes"),),
             "book a standup with Ana and Ben tomorrow at 10", ("30-minute standup",), ("10-minute",),
             days_later=4, tags=("expired",)),
    Scenario("'everyone' means the remembered team",
             ((DEV, HERE, "remember that the team is Ana, Ben and Chloe"),),
             "book a sync with everyone tomorrow at 10", ("with Ana, Ben and Chloe",), ("Emma",),
             using="the team is Ana, Ben and Chloe"),
    Scenario("a hyphenated stand-up uses the standup length",
             ((DEV, HERE, "remember that our standups are 15 minutes"),),
             "book a stand-up with Ana tomorrow at 10", ("15-minute stand-up",), using="standups are 15 minutes"),
    Scenario("a length in hours",
             ((DEV, HERE, "remember that workshops are 2 hours"),),
             "book a workshop with Ana and Ben tomorrow at 10", ("2-hour workshop",), using="workshops are 2 hours"),
    Scenario("a call with a client uses the client's meeting length",
             ((DEV, HERE, "remember that meetings with Globex are 45 minutes"),),
             "book a call with Tom Becker from Globex tomorrow at 10", ("45-minute call",),
             using="meetings with Globex are 45 minutes"),
    Scenario("the asker's own team memory, asked by its author",
             ((ANA, HERE, "remember for me: the team is Ben and Chloe"),),
             TEAM_BOOKING, ("with Ben and Chloe",), ("Emma",), using="the team is Ben and Chloe", asker=ANA,
             tags=("scope",)),
    Scenario("a person's own length is not used for another person",
             ((ANA, HERE, "remember for me: standups are 10 minutes"),),
             "book a standup with Ana and Ben tomorrow at 10", ("30-minute standup",), ("10-minute",),
             tags=("scope",)),
    Scenario("a length remembered in another channel is not used",
             ((DEV, ELSEWHERE, "remember that standups are 10 minutes"),),
             "book a standup with Ana and Ben tomorrow at 10", ("30-minute standup",), ("10-minute",),
             tags=("scope",)),
    Scenario("a personal memory does not supersede the channel's, it is narrower for its owner",
             ((DEV, HERE, "remember that the team is Ana and Ben"),
              (DEV, HERE, "remember for me: the team is Chloe and Emma")),
             TEAM_BOOKING, ("with Chloe and Emma",), ("Ben",), using="the team is Chloe and Emma", tags=("scope",)),
    Scenario("the channel's memory still holds for others",
             ((DEV, HERE, "remember that the team is Ana, Ben and Chloe"),
              (DEV, HERE, "remember for me: the team is Chloe and Emma")),
             TEAM_BOOKING, ("with Ben and Chloe",), ("Emma",), using="the team is Ana, Ben and Chloe", asker=ANA,
             tags=("scope",)),
    Scenario("forgotten, then taught again: the new one is used",
             ((DEV, HERE, "remember that the team is Ana and Ben"), (DEV, HERE, "forget 1"),
              (DEV, HERE, "remember that the team is Ben and Chloe")),
             TEAM_BOOKING, ("with Ben and Chloe",), ("Ana",), using="the team is Ben and Chloe", tags=("forgotten",)),
    Scenario("a remembered name nobody matches is a question, not a guess",
             ((DEV, HERE, "remember that the team is Ana and Zed"),),
             TEAM_BOOKING, (), asks="I know nobody called Zed"),
    Scenario("a team memory does not change a booking that names its people",
             ((DEV, HERE, "remember that the team is Ana and Ben"),),
             "book a meeting with Chloe tomorrow at 10", ("with Chloe",), ("Ana", "Ben")),
    # full-text search (bot/store/memory_search.py): the right memory among many others
    Scenario("a standup length found among many other memories",
             tuple((DEV, HERE, f"remember that {c} pays net-{n}") for c, n in NOISE) +
             ((ANA, HERE, "remember that our standups are 15 minutes"),) +
             tuple((DEV, HERE, f"remember that {c} invoices go to billing@{c.lower()}.example") for c, _ in NOISE),
             "book a standup with Ana and Ben tomorrow at 10", ("15-minute standup",),
             using="our standups are 15 minutes", tags=("search",)),
    Scenario("the team found among many newer memories",
             ((DEV, HERE, "remember that the team is Ana and Ben"),) +
             tuple((DEV, HERE, f"remember that {c} pays net-{n}") for c, n in NOISE),
             TEAM_BOOKING, ("with Ana and Ben",), ("Chloe",), using="the team is Ana and Ben", tags=("search",)),
    Scenario("a client's length among other clients' lengths",
             ((DEV, HERE, "remember that meetings with Initech are 20 minutes"),
              (DEV, HERE, "remember that meetings with Globex are 45 minutes"),
              (DEV, HERE, "remember that meetings with Hooli are 60 minutes")),
             "book a call with Tom Becker from Globex tomorrow at 10", ("45-minute call",),
             ("20-minute", "60-minute"), using="meetings with Globex are 45 minutes", tags=("search",)),
    Scenario("a team-wide standup length is used in another channel",
             ((ANA, ELSEWHERE, "remember for the team: standups are 15 minutes"),),
             "book a standup with Ana and Ben tomorrow at 10", ("15-minute standup",),
             using="standups are 15 minutes", tags=("scope",)),
    Scenario("my own standup length follows me to another channel",
             ((DEV, ELSEWHERE, "remember for me: standups are 20 minutes"),),
             "book a standup with Ana and Ben tomorrow at 10", ("20-minute standup",),
             using="standups are 20 minutes", tags=("scope",)),
]
