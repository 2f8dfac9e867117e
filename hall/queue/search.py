"""What a resident can type to find a matter: its name, keywords, and their pinyin."""

import itertools
import os
from functools import lru_cache

# Every reading a character may have is indexed (below), so pypinyin's phrase dictionary,
# which only picks one reading per word, is not needed: without it pypinyin takes ~12 MiB
# instead of ~56 MiB in the process that serves the kiosk (docs/performance.md).
os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")

# At most this many spellings of one text, so a name full of polyphones stays small.
MOST_SPELLINGS = 12


@lru_cache(maxsize=4096)
def _spellings(text: str) -> tuple[str, ...]:
    """Full pinyin and initials of a text ("营业执照" -> "yingyezhizhao", "yyzz").

    A character with several readings gives a spelling for each, most common first:
    "银行" gives "yinxing" and "yinhang", "yx" and "yh", so a resident finds it either way.
    """
    # Imported on first use: only the process serving matter lists needs it.
    from pypinyin import Style, pinyin

    found: list[str] = []
    for style in (Style.NORMAL, Style.FIRST_LETTER):
        readings = pinyin(text, style=style, heteronym=True, errors="default")
        # pypinyin keeps runs of non-Chinese characters whole; lower-case them like the rest.
        choices = [
            list(dict.fromkeys(r.lower().replace(" ", "") for r in each)) for each in readings
        ]
        for combo in itertools.islice(_one_change_at_a_time(choices), MOST_SPELLINGS):
            spelling = "".join(combo)
            if spelling not in found:
                found.append(spelling)
    return tuple(found)


def _one_change_at_a_time(choices: list[list[str]]):
    """The common reading of every character, then each other reading of one character."""
    common = [each[0] if each else "" for each in choices]
    yield common
    for position, each in enumerate(choices):
        for other in each[1:]:
            yield [*common[:position], other, *common[position + 1 :]]


def terms(name: str, keywords: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Every string a search box may match against, lower case, without duplicates."""
    found: list[str] = []
    for text in (name, *keywords):
        text = str(text or "").strip()
        if not text:
            continue
        for term in (text.lower(), *_spellings(text)):
            if term and term not in found:
                found.append(term)
    return found
