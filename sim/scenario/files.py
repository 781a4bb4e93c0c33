"""Reading a file a user named: a regular file of bounded size, decoded as UTF-8.

Scenario files and the files they `extends:` are named by users, so their names and contents
are input like any other: a name may be too long or hold a NUL, it may point at a FIFO (whose
`open` waits for a writer for ever) or at `/dev/zero` (endless), and the text may not be UTF-8.
Each case gives a :class:`FileRefused` whose reason the caller places (the file itself, or the
`extends:` line that named it); undecodable bytes are placed at their own line and column.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from sim.errors import Problem, ScenarioError

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Largest scenario file read (the reference scenario is ~100 kB). A larger file is refused
before it is read, so a mistaken 50 MB file costs neither time nor memory."""


class FileRefused(Exception):
    """A named file cannot be read as a scenario; `str()` is the reason, e.g. `no such file`."""


def check_name(name: str) -> None:
    """Refuse names no file system accepts (the OS would raise ValueError or ENAMETOOLONG)."""
    if "\x00" in name:
        raise FileRefused("the file name contains a NUL character (allowed: a path of "
                          "ordinary characters)")
    longest = max((len(part.encode("utf-8", "surrogateescape")) for part in name.split("/")),
                  default=0)
    limit = _name_max()
    if longest > limit:
        raise FileRefused(f"file name too long ({longest} bytes in one part of the path; "
                          f"allowed at most {limit})")


def _name_max() -> int:
    try:
        return os.pathconf("/", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # pragma: no cover - non-POSIX
        return 255


def read_text(path: Path, display: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of `path`, which must be a regular file of at most `max_bytes`.

    Raises:
        FileRefused: no such file, not a regular file, too large, or not readable.
        ScenarioError: the bytes are not UTF-8 (placed at the first bad byte's line and column).
    """
    check_name(str(path))
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise FileRefused("no such file") from None
    except OSError as exc:
        raise FileRefused(_os_reason(exc)) from None
    try:
        data = _read_regular(fd, max_bytes)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise FileRefused(_too_large(len(data), max_bytes))
    return decode_utf8(data, display)


def _read_regular(fd: int, max_bytes: int) -> bytes:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused(f"not a regular file ({_kind(info.st_mode)}; allowed: a regular file)")
    if info.st_size > max_bytes:
        raise FileRefused(_too_large(info.st_size, max_bytes))
    chunks, size = [], 0
    try:
        while size <= max_bytes:  # the file may grow after fstat: read one byte past the limit
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise FileRefused(_os_reason(exc)) from None
    return b"".join(chunks)


def decode_utf8(data: bytes, display: str) -> str:
    """`data` as text, or a ScenarioError at the LINE:COL of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        line_start = before.rfind(b"\n") + 1
        col = len(before[line_start:].decode("utf-8", "replace")) + 1
        bad = data[exc.start: exc.end].hex(" ")
        raise ScenarioError([Problem(display, line, col, "", f"not valid UTF-8 (got byte "
                                     f"0x{bad}; allowed: UTF-8 text)")]) from None


def _too_large(size: int, limit: int) -> str:
    return f"file too large ({size:,} bytes; allowed at most {limit:,})"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    if exc.errno == errno.EISDIR:
        return "not a regular file (a directory; allowed: a regular file)"
    return f"cannot read file: {exc.strerror or exc}"
