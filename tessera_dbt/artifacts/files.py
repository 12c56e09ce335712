"""Reading the files users hand over (artifacts, exports, contract documents) without being
sunk by one: a device, FIFO or socket (or a symlink to one) is refused unread, and JSON
nested too deep or holding a number too long to convert is one line naming the file."""

from __future__ import annotations

import json
import os
import stat
from typing import Any

from ..engine.errors import ConfigError


def read_text(path: str | os.PathLike[str], what: str, fix: str) -> str:
    """The UTF-8 text of a regular file; anything else is a ConfigError naming `what`."""
    name = os.fspath(path)
    try:
        mode = os.stat(name).st_mode  # follows a symlink: /dev/zero behind one is refused
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file", fix) from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot be read ({exc.strerror})", fix) from None
    if stat.S_ISDIR(mode):
        raise ConfigError(f"{name}: is a directory, not {what}", fix)
    if not stat.S_ISREG(mode):
        raise ConfigError(f"{name}: not a regular file (a device, FIFO or socket), so not "
                          f"{what}", fix)
    try:
        with open(name, encoding="utf-8") as handle:
            return handle.read()
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: not UTF-8 text, so not {what}", fix) from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot be read ({exc.strerror})", fix) from None


def parse_json(text: str, label: str, what: str, fix: str) -> Any:
    """JSON text, or one line: invalid, nested too deep, or a number too long to read."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{label}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                          f"{exc.msg}), so not {what}", fix) from None
    except RecursionError:
        raise ConfigError(f"{label}: JSON nested too deeply to be {what}", fix) from None
    except ValueError as exc:  # an integer past Python's digit limit
        raise ConfigError(f"{label}: holds a value that cannot be read ({exc}), so not "
                          f"{what}", fix) from None


def read_json(path: str | os.PathLike[str], what: str, fix: str) -> Any:
    return parse_json(read_text(path, what, fix), os.fspath(path), what, fix)
