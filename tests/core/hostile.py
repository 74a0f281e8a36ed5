"""Hostile knowledge files: what a careless or malicious upload or save could contain.

Shared by tests/core/test_hostile_files.py, tests/e2e/test_hostile_import.py and
benchmarks/fuzz_report.py. Each case is the file's name, its exact bytes, and words the
refusal must contain (so a refusal for the wrong reason fails).
"""

from __future__ import annotations

from dataclasses import dataclass

DEPTH = 10_000  # nesting levels (libyaml gives up at 1,000; PyYAML's own composer recurses)
MEGABYTE = 1_000_000


@dataclass(frozen=True)
class Hostile:
    """One hostile file: where it goes, its bytes, and what its refusal must say."""

    id: str
    name: str
    data: bytes
    says: str  # a substring of the refusal's first problem for this file
    located: bool = True  # the refusal names a line

    def __str__(self) -> str:
        return self.id


def _entry(entry_id: str = "hostile-entry", extra: str = "", answer: str = "Short.") -> str:
    """A valid entry (for tests/data/knowledge's sources), with `extra` lines of fields."""
    return (
        f"  - id: {entry_id}\n"
        "    question: Is this file safe to load at all?\n"
        "    asks:\n"
        "      - hostile file question one\n"
        "      - hostile file question two\n"
        "      - hostile file question three\n"
        "      - hostile file question four\n"
        f"    answer: {answer}\n"
        "    sources: [nbc-news-2012-09-28]\n"
        "    as_of: 2012-09-28\n"
        "    reviewed: 2030-01-02\n"
        f"{extra}"
    )


def _laughs(indent: str, levels: int = 9) -> str:
    """Anchors for "billion laughs": level n is nine aliases of level n-1 (9**9 strings)."""
    lines = [f'{indent}l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [
        f"{indent}l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]"
        for level in range(1, levels)
    ]
    return "\n".join(lines) + "\n"


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


VALID_FILE = "entries:\n" + _entry()

CASES: tuple[Hostile, ...] = (
    Hostile(
        "alias-bomb",
        "hostile.yaml",
        _utf8(_laughs("") + "entries: *l8\n"),
        "unknown top-level key `l0`",
    ),
    Hostile(
        "alias-bomb-in-fields",
        "hostile.yaml",
        _utf8(
            "entries:\n  - "
            + _laughs("    ").lstrip()
            + "    id: *l8\n    question: *l8\n    asks: *l8\n    answer: *l8\n"
        ),
        "must be text",
    ),
    Hostile(
        "alias-bomb-in-sources",
        "sources.yaml",
        _utf8(_laughs("") + "sources: *l8\n"),
        "unknown top-level key `l0`",
    ),
    Hostile(
        "merge-key-bomb",
        "hostile.yaml",
        _utf8(
            "m0: &m0 {"
            + ", ".join(f"k{n}: v" for n in range(9))
            + "}\n"
            + "".join(
                f"m{n}: &m{n} {{<<: [{', '.join([f'*m{n - 1}'] * 9)}]}}\n" for n in range(1, 9)
            )
            + "entries:\n  - <<: *m8\n"
        ),
        "unknown top-level key `m0`",
    ),
    Hostile(
        "nested-lists-10000",
        "hostile.yaml",
        _utf8("entries: " + "[" * DEPTH + "]" * DEPTH + "\n"),
        "nesting depth",
    ),
    Hostile(
        "nested-mappings-10000",
        "hostile.yaml",
        _utf8("entries: " + "{a: " * DEPTH + "b" + "}" * DEPTH + "\n"),
        "nesting depth",
    ),
    Hostile(
        "nested-block-lists",
        "hostile.yaml",
        _utf8("entries:\n" + "".join(" " * level + "-\n" for level in range(1, 1500))),
        "nesting depth",
    ),
    Hostile(
        "megabyte-answer",
        "hostile.yaml",
        _utf8("entries:\n" + _entry(answer="a" * MEGABYTE)),
        "the limit is 900",
    ),
    Hostile(
        "megabyte-id",
        "hostile.yaml",
        _utf8("entries:\n" + _entry(entry_id="a" * MEGABYTE)),
        "at most 64 characters",
    ),
    Hostile(
        "megabyte-key",
        "hostile.yaml",
        _utf8("entries:\n" + _entry(extra=f"    ? {'k' * MEGABYTE}\n    : value\n")),
        "is not a known field",
    ),
    Hostile(
        "binary-bytes",
        "hostile.yaml",
        bytes(range(256)) * 4096,
        "is not UTF-8 text",
    ),
    Hostile(
        "control-characters",
        "hostile.yaml",
        _utf8("entries:\n" + _entry(answer="null \x00 bell \x07 escape \x1b")),
        "control character",
    ),
    Hostile(
        "utf-16",
        "hostile.yaml",
        ("entries:\n" + _entry(answer="¿Qué es DOMA?")).encode("utf-16"),
        "is not UTF-8 text",
    ),
    Hostile(
        "latin-1",
        "hostile.yaml",
        ("entries:\n" + _entry(answer="¿Qué es DOMA?")).encode("latin-1"),
        "is not UTF-8 text",
    ),
    Hostile(
        "duplicate-keys",
        "hostile.yaml",
        _utf8("entries:\n" + _entry(extra="    answer: A second answer.\n")),
        "has `answer` twice",
    ),
    Hostile(
        "duplicate-top-level-keys",
        "hostile.yaml",
        _utf8("entries:\n" + _entry() + "entries:\n" + _entry("other-entry")),
        "has `entries` twice",
    ),
    Hostile(
        "duplicate-id-same-file",
        "hostile.yaml",
        _utf8(
            "entries:\n"
            + _entry()
            + _entry().replace("hostile file question", "another hostile question")
        ),
        "uses an id already used in hostile.yaml",
    ),
    Hostile(
        "duplicate-id-across-files",
        "hostile.yaml",
        _utf8("entries:\n" + _entry("what-is-doma")),
        "uses an id already used in",
    ),
    Hostile(
        "python-object-tag",
        "hostile.yaml",
        _utf8('entries: !!python/object/apply:os.system ["echo pwned"]\n'),
        "could not determine a constructor",
    ),
    Hostile(
        "python-name-tag",
        "hostile.yaml",
        _utf8("entries:\n" + _entry(extra="    tags: [!!python/name:os.system x]\n")),
        "could not determine a constructor",
    ),
    Hostile("empty", "hostile.yaml", b"", "is empty", located=False),
    Hostile("only-a-comment", "hostile.yaml", b"# nothing here\n", "is empty", located=False),
    Hostile("only-a-scalar", "hostile.yaml", b"just some words\n", "must start with a top-level"),
    Hostile("only-a-list", "hostile.yaml", b"- a\n- b\n", "must start with a top-level"),
    Hostile(
        "two-documents",
        "hostile.yaml",
        _utf8(VALID_FILE + "---\n" + VALID_FILE),
        "expected a single document",
    ),
)
