"""The numbering plan (citypbx/inventory/numbering.py) and its table, kept honest against the
`phonenumbers` library it is derived from."""

from __future__ import annotations

import random
from importlib import resources

import pytest

from citypbx.inventory import numbering
from citypbx.inventory.numbering import classify, is_geographic, zone_table
from citypbx.inventory.numbering_source import derive, library_class, library_version, table_text


def test_the_committed_table_is_what_the_installed_library_gives():
    """When phonenumbers is upgraded, this fails until `make numbering` regenerates the table."""
    committed = zone_table()
    assert committed.source == library_version()
    committed_text = resources.files("citypbx").joinpath("data", numbering.TABLE).read_text("utf-8")
    assert committed_text == table_text(derive(), library_version())


def _corpus(seed: int, count: int) -> list[str]:
    """National numbers: uniform ones, and ones under every prefix of the table."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible corpus, not a secret
    digits = "0123456789"
    numbers = ["".join(rng.choice(digits) for _ in range(10)) for _ in range(count)]
    for prefix in zone_table().prefixes:
        for _ in range(20):
            numbers.append(prefix + "".join(rng.choice(digits) for _ in range(10 - len(prefix))))
    return numbers


def test_the_table_classifies_every_number_of_a_seeded_corpus_as_the_library_does():
    corpus = _corpus(seed=20261202, count=20_000)
    table = zone_table()
    wrong = [n for n in corpus if table.lookup(n)[1] != library_class(n)]
    assert wrong == [], wrong[:10]


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+78435550100", "local"),  # Kazan, called from Kazan
        ("+74955551234", "national"),  # Moscow, from Kazan
        ("+79161234567", "mobile"),
        ("+78001234567", "tollfree"),
        ("+78091234567", "premium"),  # 8-809: premium rate
        ("+78031234567", "premium"),
        ("+78081234567", "premium"),  # personal numbers: not a plain tariff
        ("+78106831234", "invalid"),  # 8-10 is the international prefix, never a code
        ("+77011234567", "international"),  # Kazakhstan mobile shares +7
        ("+77172123456", "international"),  # Astana
        ("+76001234567", "invalid"),  # 6xx: Kazakhstan's reserve, no numbers
        ("+71234567890", "invalid"),
        ("+7843555010", "invalid"),  # one digit short
        ("+4930123456", "international"),
        ("+49", "invalid"),
        ("+7\uff18\uff14\uff135550100", "invalid"),  # full-width digits: not ASCII
        ("", "invalid"),
    ],
)
def test_classify(e164: str, expected: str):
    assert classify(e164, local_codes=("843",)) == expected


def test_every_area_code_of_a_city_is_local():
    """Moscow has 495 and 499: both are local for a Moscow salon, national for Kazan."""
    assert classify("+74995551234", ("495", "499")) == "local"
    assert classify("+74995551234", ("843",)) == "national"


@pytest.mark.parametrize("code", ["843", "495", "499", "812", "347", "3432", "84342"])
def test_geographic_codes(code: str):
    assert is_geographic(code)


@pytest.mark.parametrize("code", ["810", "800", "809", "916", "701", "600", "123", "8", "0843"])
def test_codes_that_are_not_a_citys(code: str):
    assert not is_geographic(code)


def test_the_patterns_cover_the_table_with_strict_lengths():
    patterns = numbering.zone_patterns()
    assert len(patterns) == len(zone_table().prefixes)
    assert all(len(p) == len("_+7") + 10 for p, _ in patterns)
