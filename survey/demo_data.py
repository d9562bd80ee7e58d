"""Synthetic respondents for the demo: a realistic mix whose groups really differ.

No Flask, no database: `respondent(rng, year_index, practice_factor)` returns answers in
the canonical form of `survey.answers` (codes as strings, multiple choice as a list),
to be stored by the same mapping as web answers.

The effects follow the direction and rough size of the national figures in
domain.md: BME staff report more harassment from staff and from the public, more
discrimination, and less belief in equal opportunities; disabled staff report more
pressure to come to work, less satisfaction with being valued, and more harassment.
Later waves are a little better (the action plan is working, slowly).
"""
from __future__ import annotations

import random

# Organisations: an ICS, two places, five PCNs, thirteen practices of realistic GP size.
ICS = ("QDM", "Riverside and Vale Integrated Care System")
PLACES = [("QDM-N", "Riverside place", "QDM"), ("QDM-S", "Vale place", "QDM")]
PCNS = [
    ("PCN-RC", "Riverside Central PCN", "QDM-N"), ("PCN-NG", "Northgate PCN", "QDM-N"),
    ("PCN-SB", "Southbrook PCN", "QDM-S"), ("PCN-MF", "Millford and Downs PCN", "QDM-S"),
    ("PCN-HC", "Hillcrest PCN", "QDM-S"),
]
# (code, name, PCN, staff)
PRACTICES = [
    ("DM001", "Riverside Medical Centre", "PCN-RC", 45), ("DM002", "Castle Street Surgery", "PCN-RC", 12),
    ("DM003", "Quayside Health Centre", "PCN-RC", 38), ("DM004", "Northgate Family Practice", "PCN-NG", 34),
    ("DM005", "Old Mill Surgery", "PCN-NG", 8), ("DM006", "Station Road Medical Practice", "PCN-NG", 27),
    ("DM007", "Southbrook Group Practice", "PCN-SB", 44), ("DM008", "Ashfield Surgery", "PCN-SB", 18),
    ("DM009", "Millford Health Centre", "PCN-MF", 36), ("DM010", "Downs View Surgery", "PCN-MF", 10),
    ("DM011", "Hillcrest Medical Group", "PCN-HC", 42), ("DM012", "Orchard Lane Surgery", "PCN-HC", 31),
    ("DM013", "Church View Practice", "PCN-HC", 29),
]

# The demo's Freedom to Speak Up guardians (fictional; drama-range phone numbers): one for
# the ICS and one for each of two PCNs, as a real ICS might have. A demo instance uses these
# unless its config.py sets GUARDIAN_CONTACTS itself.
GUARDIAN_CONTACTS = {
    "QDM": "Sam Okafor, Freedom to Speak Up guardian for Riverside and Vale: 07700 900100, ftsu@riverside-vale.example",
    "PCN-RC": "Priya Shah, guardian for Riverside Central PCN: 07700 900231, priya.shah@riverside-central.example",
    "PCN-SB": "Tom Evans, guardian for Southbrook PCN: 07700 900342, tom.evans@southbrook.example",
}


def org_rows() -> list[tuple[str, str, str, str]]:
    """(code, name, level, parent_code) for the organisations import."""
    return ([(ICS[0], ICS[1], "ics", "")] + [(c, n, "place", p) for c, n, p in PLACES]
            + [(c, n, "pcn", p) for c, n, p in PCNS] + [(c, n, "practice", p) for c, n, p, _s in PRACTICES])


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


ETHNICITY = {"01": 56, "02": 2, "03": 0.5, "04": 7, "05": 1, "06": 1, "07": 1, "08": 0.5, "09": 8, "10": 5,
             "11": 2, "12": 1, "13": 2, "14": 6, "15": 2, "16": 1, "17": 1, "18": 1, "19": 4}
STAFF_GROUP = {"1": 14, "2": 10, "3": 8, "4": 4, "5": 10, "6": 4, "7": 44, "8": 3, "9": 3}
SEX = {"1": 78, "2": 18.5, "3": 0.5, "4": 0.5, "5": 2.5}
AGE = {"1": 2, "2": 17, "3": 24, "4": 25, "5": 28, "6": 2, "7": 2}
ORIENTATION = {"1": 87, "2": 2.5, "3": 2, "4": 0.5, "5": 8}
RELIGION_WHITE = {"1": 45, "2": 44, "3": 1, "5": 1.5, "8": 2, "9": 6.5}
RELIGION_BME = {"1": 12, "2": 30, "3": 2, "4": 16, "6": 26, "7": 6, "8": 2, "9": 6}

COMMENTS = [
    "The team is supportive but we are stretched thin, especially on Monday mornings.",
    "I would like more training opportunities for reception staff.",
    "Patients can be very rude on the phone and it wears you down.",
    "Since the new manager started things have improved a lot.",
    "I don't always feel my experience is recognised when roles are handed out.",
    "Please fix the heating in the back office!",
    "More flexible working would help those of us with caring responsibilities.",
    "I feel listened to by the partners.",
]


def _skip(rng: random.Random, value, p: float = 0.02):
    return None if rng.random() < p else value


def _times(rng: random.Random, p_any: float) -> str:
    """A 'how many times' answer (1 Never .. 5 More than 10) with P(at least once) = p_any."""
    if rng.random() >= p_any:
        return "1"
    return _pick(rng, {"2": 60, "3": 24, "4": 10, "5": 6})


def _scale(rng: random.Random, p_positive: float, p_neutral: float = 0.22) -> str:
    """1..5 with P(4 or 5) = p_positive."""
    r = rng.random()
    if r < p_positive:
        return "5" if rng.random() < 0.3 else "4"
    if r < p_positive + p_neutral:
        return "3"
    return "1" if rng.random() < 0.3 else "2"


def respondent(rng: random.Random, year_index: int = 2, practice_factor: float = 1.0,
               with_comment: bool = False) -> dict:
    """One synthetic response. year_index 0 = two years ago, 2 = this year."""
    a: dict = {}
    ethnicity = _pick(rng, ETHNICITY)
    bme = "05" <= ethnicity <= "18"
    disability = _pick(rng, {"1": 21, "2": 74, "3": 5})
    disabled = disability == "1"
    better = 1.0 - 0.06 * year_index            # a slow improvement year on year
    harsh = practice_factor * better

    a["staff_group"] = _pick(rng, STAFF_GROUP)
    a["sex"] = _pick(rng, SEX)
    a["gender_identity"] = _pick(rng, {"1": 95, "2": 1, "3": 4})
    a["age_band"] = _pick(rng, AGE)
    a["ethnicity"] = ethnicity
    a["sexual_orientation"] = _pick(rng, ORIENTATION)
    a["religion"] = _pick(rng, RELIGION_BME if bme else RELIGION_WHITE if ethnicity != "19" else {"9": 60, "1": 40})
    a["disability"] = disability
    if disabled:
        a["reasonable_adjustments"] = _pick(rng, {"1": 52, "2": 26, "3": 17, "4": 5})

    a["q4b"] = _scale(rng, (0.47 - 0.12 * disabled - 0.05 * bme) / practice_factor ** 0.5)
    a["q11d"] = "1" if rng.random() < 0.52 + 0.12 * disabled else "2"
    if a["q11d"] == "1":
        a["q11e"] = "1" if rng.random() < (0.18 + 0.14 * disabled + 0.03 * bme) * harsh else "2"
    a["q13a"] = _times(rng, 0.09 * harsh)
    a["q13b"] = _times(rng, 0.008)
    a["q13c"] = _times(rng, 0.015)
    a["q14a"] = _times(rng, (0.26 + 0.05 * bme + 0.03 * disabled) * harsh)
    a["q14b"] = _times(rng, (0.09 + 0.05 * bme + 0.04 * disabled) * harsh)
    a["q14c"] = _times(rng, (0.14 + 0.05 * bme + 0.05 * disabled) * harsh)
    harassed = any(a[q] != "1" for q in ("q14a", "q14b", "q14c"))
    if harassed:
        a["q14d"] = _pick(rng, {"1": 44 - 8 * disabled, "2": 11, "3": 35 + 8 * disabled, "4": 10})
    else:
        a["q14d"] = "9" if rng.random() < 0.9 else _pick(rng, {"3": 1, "4": 2})
    a["q17a"] = _times(rng, 0.07 * harsh)
    a["q17b"] = _times(rng, 0.035 * harsh)
    if rng.random() < 0.24:
        a["q15"] = "9"
    else:
        a["q15"] = "1" if rng.random() < (0.61 - 0.14 * bme - 0.08 * disabled) / harsh ** 0.5 else "2"
    a["q16a"] = "1" if rng.random() < (0.09 + 0.09 * bme) * harsh else "2"
    a["q16b"] = "1" if rng.random() < (0.055 + 0.10 * bme + 0.05 * disabled) * harsh else "2"
    if "1" in (a["q16a"], a["q16b"]):
        grounds = set()
        if bme and rng.random() < 0.8:
            grounds.add("1")
        if disabled and rng.random() < 0.5:
            grounds.add("5")
        for code, p in (("2", 0.12), ("3", 0.08 + 0.1 * bme), ("6", 0.18), ("4", 0.03), ("7", 0.06)):
            if rng.random() < p:
                grounds.add(code)
        a["q16c"] = sorted(grounds or {"7"}, key=int)
    a["q25e"] = _scale(rng, (0.66 - 0.09 * bme - 0.06 * disabled) / harsh ** 0.5)
    a["q25f"] = _scale(rng, (0.58 - 0.10 * bme - 0.06 * disabled) / harsh ** 0.5)

    # Some people skip a question; "prefer not to say" is in the mixes above.
    out = {k: v for k, v in a.items() if _skip(rng, v) is not None}
    if out.get("disability") != "1":
        out.pop("reasonable_adjustments", None)
    if out.get("q11d") != "1":
        out.pop("q11e", None)
    if "1" not in (out.get("q16a"), out.get("q16b")):
        out.pop("q16c", None)
    if with_comment:
        out["comments"] = rng.choice(COMMENTS)
    return out
