"""What a resident can type to find a matter: its name, keywords, and their pinyin."""

from functools import lru_cache


@lru_cache(maxsize=4096)
def _spellings(text: str) -> tuple[str, str]:
    """Full pinyin and initials of a text ("营业执照" -> "yingyezhizhao", "yyzz")."""
    # Imported on first use: its dictionaries take ~55 MiB, which only the process serving
    # matter lists needs (not the print worker or the supervisor; docs/performance.md).
    from pypinyin import Style, lazy_pinyin

    # pypinyin keeps runs of non-Chinese characters whole; lower-case them like the rest.
    full = "".join(lazy_pinyin(text, errors="default")).lower()
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()
    return full.replace(" ", ""), initials.replace(" ", "")


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
