"""Deterministic YAML of plain data: insertion order kept, block style, LF, one trailing newline.

A small emitter of our own (PyYAML's representer is pure Python and was most of what
`generate` spent): maps and lists in block style, a sequence under a key not indented (as
PyYAML writes it), strings plain when they can only be read back as the same string, else
double-quoted with JSON's escapes (which YAML reads the same way).
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

_PLAIN = re.compile(r"[A-Za-z_/][\w./@+-]*(?: [\w./@+()-]+)*")
_RESERVED = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n"})
# Characters JSON leaves raw that YAML reads as line breaks (NEL, LS, PS) or may not contain.
_NOT_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


class Quoted(str):
    """A string always written in double quotes (Chart.yaml appVersion)."""


class Literal(str):
    """A multi-line string written as a literal block (`key: |`), the way ruamel.yaml writes
    one, when it can be (one final newline, no blank line, no control character); else quoted."""


def scalar(value: Any) -> str:
    if type(value) is str:
        return _string(value)
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    text = str(value)
    return _quoted(text) if isinstance(value, Quoted) else _string(text)


def _string(text: str) -> str:
    return _short_string(text) if len(text) <= 256 else _any_string(text)


@lru_cache(maxsize=8192)  # keys and common values repeat in every chart; long text is not kept
def _short_string(text: str) -> str:
    return _any_string(text)


def _any_string(text: str) -> str:
    return text if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED else _quoted(text)


def _quoted(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    return _NOT_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _float(value: float) -> str:
    """A float as YAML 1.1 reads it back (an exponent needs a dot and a sign there)."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        mantissa = mantissa if "." in mantissa else mantissa + ".0"
        exponent = exponent if exponent[0] in "+-" else "+" + exponent
        text = f"{mantissa}e{exponent}"
    return text


def _write(data: Any, indent: int, out: list[str]) -> None:
    """Append the lines of `data` to `out` (one list for the whole document: nothing copied)."""
    pad = " " * indent
    if isinstance(data, dict):
        if not data:
            out.append(pad + "{}")
            return
        for key, value in data.items():
            head = f"{pad}{scalar(key)}:"
            if type(value) is str:  # most values: plain text, known at once
                out.append(f"{head} {_string(value)}")
            elif isinstance(value, dict) and value:
                out.append(head)
                _write(value, indent + 2, out)
            elif isinstance(value, list) and value:
                out.append(head)
                _write(value, indent, out)  # a sequence under a key is not indented
            elif isinstance(value, Literal) and _is_literal_block(value):
                out.append(f"{head} |")
                out += [f"{pad}  {line}" for line in value[:-1].split("\n")]
            else:
                out.append(f"{head} {_inline(value)}")
    elif isinstance(data, list):
        if not data:
            out.append(pad + "[]")
            return
        for item in data:
            if isinstance(item, dict | list) and item:
                first = len(out)
                _write(item, indent + 2, out)
                out[first] = f"{pad}- {out[first][indent + 2 :]}"
            else:
                out.append(f"{pad}- {_inline(item)}")
    else:
        out.append(pad + scalar(data))


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar(value)


def _is_literal_block(text: str) -> bool:
    lines = text[:-1].split("\n")
    return (
        text.endswith("\n")
        and not text.endswith("\n\n")
        and not lines[0][:1].isspace()
        and all(line.strip() for line in lines)
        and not _NOT_PRINTABLE.search(text)
        and not any(ord(c) < 0x20 and c != "\n" for c in text)
    )


def dump_yaml(data: Any, header: str = "") -> bytes:
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    lines: list[str] = []
    _write(data, 0, lines)
    return (comment + "\n".join(lines) + "\n").encode()
