"""Every citation key in the code, data files and docs resolves inside the repository.

A key is a capital letter, digits and an optional lowercase suffix (``[C7]``, ``[C18e]``,
``[Q3]``), alone or first in a bracketed list (``[C3, C4]``, ``[C19a: RFD 0-100 ms]``).
Each must have an entry ``- [KEY] ...`` in docs/references.md, so neither a report nor a
reader of the code depends on files outside the checkout (the reference notes the keys
came from are never cited by path). Neither do the code, docs, benchmarks or tests point at
the team's private notes (device protocols, BLE harness, architecture): what they rest on is
cited by key, and what is our own design points at a document in ``docs/``.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCES = REPO_ROOT / "docs" / "references.md"
SCANNED = ("src", "docs", "README.md", "benchmarks")
#: Where mentions of the reference notes are refused: everything above and the tests.
NOTE_SCANNED = (*SCANNED, "tests")
TEXT_SUFFIXES = {".py", ".md", ".json", ".toml", ".txt", ".rst", ".csv", ".yaml", ".yml"}

#: A bracketed group not preceded by a name character (so ``x[0]``, ``row[N1]`` and
#: ``f(...)[K2]`` are indexing, not citations), on one line.
_BRACKETS = re.compile(r"(?<![\w)\]])\[([^\[\]\n]+)\]")
#: A citation key at the start of one item of a bracketed list.
_KEY = re.compile(r"([A-Z]\d{1,3}[a-z]?)(?![\w])")
_ENTRY = re.compile(r"^- \[([A-Z]\d{1,3}[a-z]?)\] \S", re.MULTILINE)
#: Mentions of notes outside the repository: the clinical survey, the shared reference folder,
#: the device-protocol notes (``device-protocols §2.1``, ``device protocols §4``), the BLE
#: harness notes (``ble-harness.md``) and the architecture notes (``architecture.md``).
_FORBIDDEN = re.compile(r"clinical\.md|shared/reference|clinical (reference )?§"
                        r"|device-protocols|device protocols §|ble-harness|architecture\.md",
                        re.IGNORECASE)


def cited_keys(text: str) -> set[str]:
    """Keys cited in ``text``: every list item of a bracket group whose first item is a key."""
    keys: set[str] = set()
    for group in _BRACKETS.finditer(text):
        items = [item.strip() for item in re.split(r"[,;]", group.group(1))]
        if not _KEY.match(items[0]):
            continue
        keys.update(found.group(1) for item in items if (found := _KEY.match(item)))
    return keys


def scanned_files(roots: tuple[str, ...] = SCANNED) -> list[Path]:
    files: list[Path] = []
    for name in roots:
        root = REPO_ROOT / name
        candidates = [root] if root.is_file() else sorted(root.rglob("*"))
        files += [path for path in candidates
                  if path.is_file() and path.suffix in TEXT_SUFFIXES
                  and "__pycache__" not in path.parts and ".egg-info" not in str(path)]
    return files


def test_key_pattern_finds_citations_and_skips_indexing() -> None:
    text = ("MDC 2.08 s [C7]; grip [C3, C4] and RFD [C19a: 0-100 ms; B2] and [Q12b]. "
            "Not these: x[0], samples[N1], values[i], [N], [1], [see A1], f(x)[K2].")
    assert cited_keys(text) == {"C7", "C3", "C4", "C19a", "B2", "Q12b"}


def test_every_cited_key_resolves_in_docs_references() -> None:
    defined = set(_ENTRY.findall(REFERENCES.read_text(encoding="utf-8")))
    missing: dict[str, list[str]] = {}
    for path in scanned_files():
        for key in cited_keys(path.read_text(encoding="utf-8", errors="replace")):
            if key not in defined:
                missing.setdefault(key, []).append(str(path.relative_to(REPO_ROOT)))
    lines = [f"  [{key}] used in {', '.join(sorted(set(paths)))}"
             for key, paths in sorted(missing.items())]
    assert not missing, "citation keys without an entry in docs/references.md:\n" + "\n".join(lines)


def test_forbidden_pattern_finds_mentions_of_the_notes() -> None:
    mentions = ["(device-protocols §4.2 step 6)", "see Device protocols §2", "ble-harness.md",
                "BLE-harness gotcha 2", "(architecture.md)", "clinical.md §3.8",
                "clinical §3.8", "clinical reference §2", "../shared/reference/x.md"]
    clean = ["D. Device protocols and Bluetooth", "the BLE harness covers it",
             "architecture section of the README", "[D7]", "clinical literature",
             "docs/devices.md"]
    assert all(_FORBIDDEN.search(text) for text in mentions)
    assert not any(_FORBIDDEN.search(text) for text in clean)


def test_nothing_cites_reference_notes_outside_the_repository() -> None:
    offenders = []
    this_file = Path(__file__).resolve()
    for path in scanned_files(NOTE_SCANNED):
        if path.resolve() == this_file:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace")
                                      .splitlines(), start=1):
            if _FORBIDDEN.search(line):
                offenders.append(f"  {path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert not offenders, ("cite a key from docs/references.md instead of the reference "
                           "notes outside the repository:\n" + "\n".join(offenders))
