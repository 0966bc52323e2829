"""Startup settings for the secrets declared in .secrets.example.toml.

Every check mirrors vault's own (`vault check`, `vault exec`) step by step, so a value
is accepted here exactly when vault accepts it. The environment's name is read from
@ENV_VAR@: a secret listed with `required = ["prod"]` is required only when @ENV_VAR@ is
`prod`; without @ENV_VAR@, only the secrets required in every environment are required,
and the `"*"` patterns apply. Variables the template does not declare are ignored.
"""

import re

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Rust's `char::is_whitespace` (Unicode White_Space); `str.isspace` and `\s` differ.
_WHITESPACE = re.compile(
    r"@WHITESPACE@",
)


def check_url(value: str) -> bool:
    """`scheme://` then at least one character, no whitespace (vault's `url`)."""
    if _WHITESPACE.search(value):
        return False
    scheme, sep, rest = value.partition("://")
    if not sep or not scheme or not rest:
        return False
    if not (scheme[0].isascii() and scheme[0].isalpha()):
        return False
    return all(c.isascii() and (c.isalnum() or c in "+.-") for c in scheme[1:])


def _digits(value: str) -> bool:
    return value != "" and all("0" <= c <= "9" for c in value)


def check_int(value: str) -> bool:
    """An optional sign then ASCII digits, within the 64-bit range (vault's `int`)."""
    digits = value[1:] if value[:1] in ("+", "-") else value
    if not _digits(digits):
        return False
    # Leading zeros are allowed, and stripping them keeps int() away from huge strings.
    digits = digits.lstrip("0") or "0"
    if len(digits) > 19:
        return False
    number = -int(digits) if value[:1] == "-" else int(digits)
    return -(2**63) <= number <= 2**63 - 1


def check_bool(value: str) -> bool:
    """true, false, yes, no, 1 or 0, ASCII case-insensitive (vault's `bool`)."""
    return value.isascii() and value.lower() in ("true", "false", "yes", "no", "1", "0")


def check_port(value: str) -> bool:
    """ASCII digits, no sign, from 1 to 65535; leading zeros allowed (vault's `port`)."""
    if not _digits(value):
        return False
    digits = value.lstrip("0")
    return digits != "" and len(digits) <= 5 and int(digits) <= 65535


def check_email(value: str) -> bool:
    """`local@domain.tld`, one `@`, no whitespace (vault's `email`)."""
    if _WHITESPACE.search(value):
        return False
    local, sep, domain = value.partition("@")
    if not sep or "@" in domain or not local or "." not in domain:
        return False
    return all(label != "" for label in domain.split("."))


def check_pem(value: str) -> bool:
    """A `-----BEGIN <label>-----` then a matching END line (vault's `pem`)."""
    begin = value.find("-----BEGIN ")
    if begin < 0:
        return False
    start = begin + len("-----BEGIN ")
    length = value.find("-----", start)
    if length < 0:
        return False
    label = value[start:length]
    if label == "" or "\n" in label or "\r" in label:
        return False
    rest = value[length + 5 :]
    while True:
        at = rest.find("-----END ")
        if at < 0:
            return False
        rest = rest[at + len("-----END ") :]
        if rest.startswith(label) and rest[len(label) :].startswith("-----"):
            return True


_HEX = "0123456789abcdefABCDEF"


def _json_string(value: str, i: int) -> int:
    """The index after the string whose opening quote is before `i`, or -1."""
    n = len(value)
    while i < n:
        c = value[i]
        if c == '"':
            return i + 1
        if c < " ":
            return -1
        if c == "\\":
            i += 1
            if i >= n:
                return -1
            e = value[i]
            if e == "u":
                hex4 = value[i + 1 : i + 5]
                if len(hex4) != 4 or not all(h in _HEX for h in hex4):
                    return -1
                i += 4
            elif e not in '"\\/bfnrt':
                return -1
        i += 1
    return -1


def _json_number(value: str, i: int) -> int:
    """The index after the number starting at `i`, or -1."""
    n = len(value)
    if value[i] == "-":
        i += 1
    if i < n and value[i] == "0":
        i += 1
    elif i < n and "1" <= value[i] <= "9":
        while i < n and "0" <= value[i] <= "9":
            i += 1
    else:
        return -1
    if i < n and value[i] == ".":
        i += 1
        if not (i < n and "0" <= value[i] <= "9"):
            return -1
        while i < n and "0" <= value[i] <= "9":
            i += 1
    if i < n and value[i] in "eE":
        i += 1
        if i < n and value[i] in "+-":
            i += 1
        if not (i < n and "0" <= value[i] <= "9"):
            return -1
        while i < n and "0" <= value[i] <= "9":
            i += 1
    return i


def _json_space(value: str, i: int) -> int:
    while i < len(value) and value[i] in " \t\n\r":
        i += 1
    return i


def _json_key(value: str, i: int) -> int:
    """After `{` or `,` in an object: a string key and `:`; the index after, or -1."""
    i = _json_space(value, i)
    if i >= len(value) or value[i] != '"':
        return -1
    i = _json_string(value, i + 1)
    if i < 0:
        return -1
    i = _json_space(value, i)
    if i >= len(value) or value[i] != ":":
        return -1
    return i + 1


def check_json(value: str) -> bool:
    """One JSON value (RFC 8259), as vault reads it: grammar only, so any nesting depth,
    any number's size and unpaired surrogate escapes are accepted, while NaN, trailing
    commas and control characters in strings are not (vault's `json`)."""
    n = len(value)
    i = 0
    stack: list[str] = []
    while True:
        i = _json_space(value, i)
        if i >= n:
            return False
        c = value[i]
        if c in "[{":
            close = "]" if c == "[" else "}"
            i = _json_space(value, i + 1)
            if i < n and value[i] == close:
                i += 1
            else:
                stack.append(close)
                if c == "{":
                    i = _json_key(value, i)
                    if i < 0:
                        return False
                continue
        elif c == '"':
            i = _json_string(value, i + 1)
        elif c == "-" or "0" <= c <= "9":
            i = _json_number(value, i)
        elif value.startswith(("true", "null"), i):
            i += 4
        elif value.startswith("false", i):
            i += 5
        else:
            return False
        if i < 0:
            return False
        while True:
            i = _json_space(value, i)
            if not stack:
                return i == n
            if i >= n:
                return False
            if value[i] == stack[-1]:
                stack.pop()
                i += 1
                continue
            if value[i] != ",":
                return False
            i += 1
            if stack[-1] == "}":
                i = _json_key(value, i)
                if i < 0:
                    return False
            break


def check_base64(value: str) -> bool:
    """One base64 alphabet, complete padding or none, no whitespace (vault's `base64`)."""
    body = value.rstrip("=")
    padding = len(value) - len(body)
    if body == "" or not body.isascii():
        return False
    standard = all(c.isalnum() or c in "+/" for c in body)
    url_safe = all(c.isalnum() or c in "-_" for c in body)
    if not standard and not url_safe:
        return False
    if padding == 0:
        return len(body) % 4 != 1
    return padding <= 2 and len(value) % 4 == 0


def check_string(value: str) -> bool:
    """Anything (vault's `string`)."""
    return True


def value_problems(name: str, value: str) -> list[str]:
    """What is wrong with `value` as the value of `name`: format, then length."""
    problems = []
    check = _FORMATS.get(name)
    if check is not None and not check[0](value):
        problems.append(check[1])
    minimum = _MIN_LENGTH.get(name)
    if minimum is not None and len(value) < minimum:
        problems.append(f"`{name}` is shorter than the minimum of {minimum} characters")
    return problems


def environment_problems(values: dict[str, str | None], env: str | None) -> list[str]:
    """Required secrets that are not set, and values that do not match the pattern of
    the environment `env` (None: the variable is not set)."""
    problems = []
    where = "" if env is None else f" in `{env}`"
    for name, value in values.items():
        if value is None:
            required = _REQUIRED.get(name, ())
            if required is None or (env is not None and env in required):
                problems.append(f"`{name}` is required{where} but not set")
            continue
        patterns = _PATTERNS.get(name, {})
        if env is not None and env in patterns:
            rule = patterns[env]
        else:
            rule = patterns.get("*")
        if rule is not None and rule[1].search(value) is None:
            problems.append(
                f"`{name}` does not match the pattern `{rule[0]}` required{where}"
            )
    return problems
