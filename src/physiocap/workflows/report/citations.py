"""The short reference list printed on a report page: every key the page cites, with text.

Keys (``[C1]``, ``[C3, C4]``, ``[S1]``) are those of ``docs/references.md``. The text of a
key comes from the norms data file's own source string when the page used one (that is
the entry the verdict rests on); keys that only appear in the scoring rules' wording get
the short citations below, copied from ``docs/references.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: A bracket group whose items may be keys: ``[C7]``, ``[C3, C4]``, ``[C19a: RFD]``.
_BRACKETS = re.compile(r"(?<![\w)\]])\[([^\[\]\n]+)\]")
_KEY = re.compile(r"([A-Z]\d{1,3}[a-z]?)(?![\w])")

#: Keys cited by the scoring rules and conventions rather than by a norms entry.
RULE_CITATIONS: dict[str, str] = {
    "B7": "Sapega AA 1990, Muscle performance evaluation in orthopaedic practice, "
          "J Bone Joint Surg Am 72:1562-1574 (isokinetic deficit categories)",
    "C3": "Roberts HC et al. 2011, A review of the measurement of grip strength in clinical "
          "and epidemiological studies, Age Ageing 40:423-429 (Southampton protocol)",
    "C4": "Sousa-Santos AR & Amaral TF 2017, BMC Geriatr, Table 3 (ASHT and Southampton "
          "grip protocols)",
}


def cited_keys(text: str) -> list[str]:
    """Keys cited in ``text``, in order of first appearance."""
    keys: list[str] = []
    for group in _BRACKETS.finditer(text):
        items = [item.strip() for item in re.split(r"[,;]", group.group(1))]
        if not _KEY.match(items[0]):
            continue
        for item in items:
            found = _KEY.match(item)
            if found and found.group(1) not in keys:
                keys.append(found.group(1))
    return keys


def without_keys(source: str) -> str:
    """A source string with its bracketed keys (and brackets around them) removed."""
    text = re.sub(r"\s*\(\s*\[[A-Z]\d{1,3}[a-z]?\]\s*\)", "", source)
    text = _BRACKETS.sub(lambda m: "" if _KEY.match(m.group(1).strip()) else m.group(0), text)
    return re.sub(r"\s+([;,.)])", r"\1", text).strip().rstrip(";,")


def reference_list(page_texts: Iterable[str],
                   sources: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``(key, citation)`` for every key cited in ``page_texts``, sorted by key.

    ``sources`` are the norms data's source strings the page used; a key's citation is the
    shortest of them that cites it, else :data:`RULE_CITATIONS`, else a pointer to the
    repository's reference list.
    """
    keys: list[str] = []
    for text in page_texts:
        keys += [key for key in cited_keys(text) if key not in keys]
    texts: dict[str, str] = {}
    for source in sources:
        for key in cited_keys(source):
            cleaned = without_keys(source)
            if key not in texts or len(cleaned) < len(texts[key]):
                texts[key] = cleaned
    return tuple((key, texts.get(key) or RULE_CITATIONS.get(key)
                  or "see docs/references.md in the physiocap repository")
                 for key in sorted(keys, key=_sort_key))


def _sort_key(key: str) -> tuple[str, int, str]:
    match = re.fullmatch(r"([A-Z])(\d+)([a-z]?)", key)
    return (key[0], int(match.group(2)), match.group(3)) if match else (key, 0, "")
