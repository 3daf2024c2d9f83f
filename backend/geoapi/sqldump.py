"""SQL dumps, streamed: split into statements as they arrive, checked against the application schema, executed.

A dump is mysqldump / mariadb-dump output of the application's data: made with
``--no-create-info --hex-blob --skip-triggers`` (the schema comes from ``python -m geoapi
migrate``, binary columns as hex so the file is UTF-8).  Statements are split by a
quote-aware scanner (regular expressions over each chunk, so the text is never held
whole: the largest unit in memory is one statement, about 1 MB with mysqldump's
defaults), with comments dropped and version comments (``/*!40101 ... */``) unwrapped,
since the server would run their content.

Only these statements are accepted (:func:`check`); anything else refuses the whole dump:
each statement is checked before it runs, and a refusal rolls back the one transaction
the load runs in, so nothing is written:

* ``INSERT`` / ``REPLACE ... INTO collections|features [(columns)] VALUES (...)`` with
  literal values only (numbers, strings, hex, NULL, ``_binary``/charset introducers);
* ``UPDATE`` / ``DELETE`` on those tables, with no sub-select and no other table named;
* session ``SET`` of user variables (``@x``) and of the session settings mysqldump writes;
* skipped without running: ``LOCK TABLES`` / ``UNLOCK TABLES``, ``ALTER TABLE t
  DISABLE|ENABLE KEYS``, ``START TRANSACTION`` / ``BEGIN`` / ``COMMIT``, ``USE`` of the
  application's own database (they would commit early, or are no-ops here).

So a dump cannot create users, grant, touch another schema (qualified names are refused),
``USE`` another database, change the schema, or read files.  All of it runs in one
transaction: a failure anywhere leaves the database as it was, so the load can simply be
run again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

#: the tables a dump may write
DATA_TABLES = ("collections", "features")
#: session variables mysqldump (and mariadb-dump) set in their headers
SESSION_SETTINGS = frozenset(
    {
        "character_set_client",
        "character_set_results",
        "collation_connection",
        "names",
        "time_zone",
        "sql_mode",
        "foreign_key_checks",
        "unique_checks",
        "sql_notes",
        "sql_quote_show_create",
        "autocommit",
        "note_verbosity",
    }
)

_SPECIAL = re.compile(r"['\"`;#]|--|/\*|\*/")
_QUOTED = {
    "'": re.compile(r"[^'\\]*(?:(?:\\.|'')[^'\\]*)*'", re.S),
    '"': re.compile(r'[^"\\]*(?:(?:\\.|"")[^"\\]*)*"', re.S),
    "`": re.compile(r"[^`]*(?:``[^`]*)*`"),
}
_EXEC_COMMENT = re.compile(r"/\*M?!\d*")


@dataclass(frozen=True)
class Statement:
    number: int
    #: the statement as it runs (comments dropped, version comments unwrapped)
    sql: str
    #: the same without its quoted strings (what the checks read)
    code: str


class Splitter:
    """Feed text chunks, get complete statements (``final=True`` on the last chunk flushes the rest).

    ``buf[start:]`` is the statement being read; ``scan`` is where scanning resumes.  The
    buffer is compacted only when a new chunk arrives, so many small statements in one
    chunk cost no copying.
    """

    def __init__(self) -> None:
        self.buf = ""
        self.start = 0
        self.scan = 0
        self.in_exec_comment = False
        self.literals: list[tuple[int, int]] = []  # quoted strings of the current statement, in buf offsets
        self.count = 0

    def _emit(self, end: int) -> Statement | None:
        parts, last = [], self.start
        for lo, hi in self.literals:
            parts += [self.buf[last:lo], "''"]
            last = hi
        parts.append(self.buf[last:end])
        sql = self.buf[self.start : end].strip()
        self.literals = []
        if not sql:
            return None
        self.count += 1
        return Statement(self.count, sql, "".join(parts).strip())

    def _cut(self, start: int, end: int) -> None:
        """Drop buf[start:end] (a comment), keeping a space so that tokens stay apart."""
        self.buf = self.buf[:start] + " " + self.buf[end:]
        self.scan = start + 1

    def feed(self, text: str, *, final: bool = False) -> Iterator[Statement]:
        if self.start:
            shift = self.start
            self.buf, self.scan, self.start = self.buf[shift:], self.scan - shift, 0
            self.literals = [(lo - shift, hi - shift) for lo, hi in self.literals]
        self.buf += text
        while True:
            m = _SPECIAL.search(self.buf, self.scan)
            if m is None:
                self.scan = max(self.scan, len(self.buf) - 1)  # a "-" or "/" may start a lexeme in the next chunk
                break
            if m.group() == ";":
                statement = self._emit(m.start())
                self.start = self.scan = m.end()
                if statement is not None:
                    yield statement
            elif not self._step(m.group(), m.start(), m.end(), final):
                break
        if final:
            statement = self._emit(len(self.buf))
            self.buf, self.start, self.scan = "", 0, 0
            if statement is not None:
                yield statement

    def _step(self, lexeme: str, start: int, after: int, final: bool) -> bool:
        """Move past one lexeme; False when more text is needed first."""
        if lexeme in _QUOTED:
            end = _QUOTED[lexeme].match(self.buf, after)
            if end is None or (end.end() == len(self.buf) and not final):
                self.scan = start
                return False  # unterminated (or a doubled quote may follow): wait for more
            if lexeme != "`":  # a quoted identifier stays in the code the checks read
                self.literals.append((start, end.end()))
            self.scan = end.end()
            return True
        if lexeme == "*/" and self.in_exec_comment:
            self.in_exec_comment = False
            self._cut(start, after)
            return True
        if lexeme == "/*":
            opener = _EXEC_COMMENT.match(self.buf, start)
            if (opener is not None and opener.end() == len(self.buf) or after == len(self.buf)) and not final:
                self.scan = start
                return False  # the version number (or the "!") may go on in the next chunk
            digits = opener.group()[3:].lstrip("!") if opener is not None else ""
            if opener is not None and digits.isdigit() and int(digits) >= 999999:
                opener = None  # mariadb-dump's "/*M!999999\\- enable the sandbox mode */": no server runs it
            if opener is not None:  # the server runs a version comment's content: so do we
                self.in_exec_comment = True
                self._cut(start, opener.end())
                return True
            return self._comment(start, self.buf.find("*/", after), 2, final)
        if lexeme == "#" or (lexeme == "--" and self.buf[after : after + 1] in (" ", "\t", "\n", "\r")):
            return self._comment(start, self.buf.find("\n", after), 0, final)
        if lexeme == "--" and after == len(self.buf) and not final:
            self.scan = start
            return False  # "--" then the next chunk: a comment or two minus signs
        self.scan = after
        return True

    def _comment(self, start: int, close: int, closer: int, final: bool) -> bool:
        if close < 0:
            if not final:
                self.scan = start
                return False
            close, closer = len(self.buf), 0
        self._cut(start, close + closer)
        return True


# -- what a dump may do -----------------------------------------------------------------
class Refused(ValueError):
    """A statement outside what a dump may do (the message says which and why)."""


def _table(name: str, database: str) -> str:
    parts = [p.strip().strip("`") for p in name.split(".")]
    if len(parts) == 2 and parts[0] != database:
        raise Refused(f"names another schema ({parts[0]!r})")
    if parts[-1] not in DATA_TABLES:
        raise Refused(f"writes table {parts[-1]!r}; a dump may write only {', '.join(DATA_TABLES)}")
    return parts[-1]


_NAME = r"((?:`[^`]+`|\w+)(?:\s*\.\s*(?:`[^`]+`|\w+))?)"
_INSERT = re.compile(
    rf"(?:INSERT|REPLACE)\s+(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\s+)*(?:INTO\s+)?{_NAME}\s*(\([^()]*\))?\s*VALUES?\s*(.*)",
    re.I | re.S,
)
_UPDATE = re.compile(rf"UPDATE\s+(?:(?:LOW_PRIORITY|IGNORE)\s+)*{_NAME}\s+SET\s", re.I)
_DELETE = re.compile(rf"DELETE\s+(?:(?:LOW_PRIORITY|QUICK|IGNORE)\s+)*FROM\s+{_NAME}(?:\s|$)", re.I)
_SKIPPED = re.compile(
    r"(?:LOCK\s+TABLES?\s|UNLOCK\s+TABLES?$|START\s+TRANSACTION|BEGIN(?:\s+WORK)?$|COMMIT(?:\s+WORK)?$"
    rf"|ALTER\s+TABLE\s+{_NAME}\s+(?:DISABLE|ENABLE)\s+KEYS$)",
    re.I,
)
_NUMBERS = re.compile(r"\b0x[0-9A-Fa-f]*\b|\b[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+")
_LITERAL_WORDS = frozenset({"NULL", "TRUE", "FALSE", "_BINARY", "_UTF8MB4", "_UTF8", "_LATIN1", "DEFAULT"})
_WORD = re.compile(r"[A-Za-z_]\w*")
_FORBIDDEN_WORDS = re.compile(r"\b(?:SELECT|OUTFILE|DUMPFILE|LOAD_FILE|SLEEP|BENCHMARK)\b", re.I)
_ASSIGNED = re.compile(r"(@@(?:session\.|local\.|global\.|persist\.|persist_only\.)?\w+|@\w+|\b\w+)\s*:?=", re.I)


def _check_values(values: str) -> None:
    rest = _NUMBERS.sub(" ", values)
    for word in set(_WORD.findall(rest)):
        if word.upper() not in _LITERAL_WORDS:
            raise Refused(f"has {word!r} among its values; only literal values are accepted")
    odd = re.search(r"[^\s(),'+\-]", _WORD.sub(" ", rest))
    if odd:
        raise Refused(f"has {odd.group()!r} among its values; only literal values are accepted")


def _check_set(code: str) -> None:
    if re.match(r"SET\s+(?:NAMES|CHARACTER\s+SET)\s", code, re.I):
        return
    names = _ASSIGNED.findall(code[3:])
    if not names:
        raise Refused("is a SET this loader does not know")
    for name in names:
        lowered = name.lower()
        if lowered.startswith("@") and not lowered.startswith("@@"):
            continue
        if lowered.removeprefix("@@").removeprefix("session.").removeprefix("local.") not in SESSION_SETTINGS:
            raise Refused(f"sets {name!r}; a dump may set only user variables and {', '.join(sorted(SESSION_SETTINGS))}")


def check(statement: Statement, database: str) -> bool:
    """True: run it; False: skip it (harmless, and it would commit early); :class:`Refused` otherwise."""
    code = statement.code
    word = code.split(None, 1)[0].upper() if code else ""
    if word == "DELIMITER":
        raise Refused("uses DELIMITER (stored routines or triggers); dump data only (--skip-triggers, no --routines)")
    if _SKIPPED.match(code):
        return False
    if word == "USE":
        if code.split(None, 1)[1].strip().strip("`") != database:
            raise Refused(f"switches to another database; this load writes only {database!r}")
        return False
    if word == "SET":
        _check_set(code)
        return True
    if word in ("INSERT", "REPLACE"):
        match = _INSERT.match(code)
        if match is None:
            raise Refused("is not of the form INSERT INTO <table> [(columns)] VALUES (...)")
        _table(match.group(1), database)
        _check_values(match.group(3))
        return True
    if word in ("UPDATE", "DELETE"):
        match = (_UPDATE if word == "UPDATE" else _DELETE).match(code)
        if match is None:
            raise Refused(f"is not a plain {word} of one table")
        table = _table(match.group(1), database)
        if _FORBIDDEN_WORDS.search(code):
            raise Refused("reads other data (a sub-select or a file)")
        for qualifier in re.findall(r"(?:`([^`]+)`|\b([A-Za-z_]\w*))\s*\.\s*[`A-Za-z_]", code):
            if (qualifier[0] or qualifier[1]) != table:
                raise Refused(f"names {qualifier[0] or qualifier[1]!r}; only columns of {table!r} may be named")
        return True
    raise Refused(
        f"is a {word or 'empty'} statement; a dump may only INSERT/REPLACE, UPDATE or DELETE rows of "
        f"{', '.join(DATA_TABLES)} and SET session variables (the schema comes from `python -m geoapi migrate`)"
    )


def describe(statement: Statement) -> str:
    head = " ".join(statement.code.split()[:4])[:60]
    return f"statement {statement.number} ({head}...)"


def row_count(statement: Statement) -> int:
    """Rows an INSERT adds (for progress logs): its value tuples."""
    if not statement.code[:7].upper().startswith(("INSERT", "REPLACE")):
        return 0
    return statement.code.count("),(") + statement.code.count("), (") + 1
