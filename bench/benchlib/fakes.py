"""Secret-shaped values, generated at run time from a seeded PRNG.

No complete token appears as a literal in this file: every prefix is split and joined at
run time (hosting providers' push protection, and both scanners under test, would
otherwise flag the benchmark's own source). Tokens that carry a checksum (GitHub, npm) or
an encoding (age's bech32) are generated *valid*, so a scanner that verifies them is not
penalised for doing so.
"""

from __future__ import annotations

import base64
import binascii
import random
import string

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
AWS_ID = string.ascii_uppercase + "234567"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _p(*parts: str) -> str:
    """Joins prefix fragments (keeps whole token prefixes out of the source)."""
    return "".join(parts)


def rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def mixed(rng: random.Random, alphabet: str, n: int) -> str:
    """n characters with a digit, an upper- and a lower-case letter when the alphabet has them."""
    while True:
        s = rand(rng, alphabet, n)
        ok = True
        for cls in (str.isdigit, str.isupper, str.islower):
            if any(cls(c) for c in alphabet) and not any(cls(c) for c in s):
                ok = False
        if ok:
            return s


def _base62_checksum(value: int) -> str:
    out = []
    for _ in range(6):
        out.append(BASE62[value % 62])
        value //= 62
    return "".join(reversed(out))


def checksummed(prefix: str, rng: random.Random) -> str:
    body = mixed(rng, ALNUM, 30)
    return f"{prefix}_{body}{_base62_checksum(binascii.crc32(body.encode()))}"


# --- bech32 (BIP-173), for valid age secret keys -------------------------------------------

def _bech32_polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def _bech32_encode(hrp: str, data: bytes) -> str:
    # 8-bit to 5-bit groups
    acc, bits, five = 0, 0, []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            five.append((acc >> bits) & 31)
    if bits:
        five.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = _bech32_polymod(expanded + five + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32[d] for d in five + checksum)


def age_secret_key(rng: random.Random) -> str:
    return _bech32_encode(_p("age-secret", "-key-"), rng.randbytes(32)).upper()


# --- the planted kinds ------------------------------------------------------------------------

def aws_key_id(rng):
    return _p("AK", "IA") + mixed(rng, AWS_ID, 16)


def github_pat(rng):
    return checksummed(_p("gh", "p"), rng)


def gitlab_pat(rng):
    return _p("gl", "pat-") + mixed(rng, ALNUM, 20)


def slack_bot(rng):
    return _p("xo", "xb-") + f"{rng.randrange(10**11, 10**12)}-{rng.randrange(10**12, 10**13)}-" + mixed(rng, ALNUM, 24)


def stripe_live(rng):
    return _p("sk", "_li", "ve_") + mixed(rng, ALNUM, 32)


def sendgrid(rng):
    return _p("S", "G.") + mixed(rng, B64URL, 22) + "." + mixed(rng, B64URL, 43)


def google_api(rng):
    return _p("AI", "za") + "Sy" + mixed(rng, ALNUM, 33)


def npm_token(rng):
    return checksummed(_p("np", "m"), rng)


def anthropic(rng):
    return _p("sk-", "ant-", "api03-") + mixed(rng, ALNUM, 93) + "AA"


def generic_password(rng):
    # A high-entropy password assigned to a password-like key (both tools have a generic rule).
    return mixed(rng, ALNUM, 12) + rng.choice("!%^*") + mixed(rng, ALNUM, 9)


def private_key_lines(rng) -> list[str]:
    body = base64.b64encode(rng.randbytes(900)).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    kind = _p("RSA PRI", "VATE KEY")
    return [f"-----BEGIN {kind}-----", *lines, f"-----END {kind}-----"]


KINDS = {
    "aws-access-key-id": aws_key_id,
    "github-pat": github_pat,
    "gitlab-pat": gitlab_pat,
    "slack-bot-token": slack_bot,
    "stripe-live-key": stripe_live,
    "sendgrid-api-key": sendgrid,
    "google-api-key": google_api,
    "npm-token": npm_token,
    "anthropic-api-key": anthropic,
    "age-secret-key": age_secret_key,
    "generic-password": generic_password,
    "private-key": None,  # multi-line, see plant()
}


class Planted:
    """One planted secret: its kind, a unique signature to recognise it in a finding, and
    the lines that carry it (for a file of the given extension)."""

    def __init__(self, kind: str, value: str, signature: str, lines: list[str]):
        self.kind = kind
        self.value = value
        self.signature = signature
        self.lines = lines
        self.where: list[tuple[str, str]] = []  # (commit-or-stage, path) where it was planted

    def to_json(self):
        return {"kind": self.kind, "where": self.where}


def plant(kind: str, ext: str, rng: random.Random) -> Planted:
    """A planted secret of `kind`, rendered as the lines a developer might write in a file
    with extension `ext` (an assignment in code, a key in YAML/JSON/INI, or a PEM block)."""
    if kind == "private-key":
        lines = private_key_lines(rng)
        sig = lines[1]
        if ext in (".py",):
            rendered = ['SIGNING_KEY = """' + lines[0], *lines[1:-1], lines[-1] + '"""']
        elif ext in (".yaml", ".yml"):
            rendered = ["signing_key: |", *("  " + line for line in lines)]
        else:
            rendered = lines
        return Planted(kind, "\n".join(lines), sig, rendered)
    value = KINDS[kind](rng)
    key = {
        "aws-access-key-id": "aws_access_key_id",
        "github-pat": "github_token",
        "gitlab-pat": "gitlab_token",
        "slack-bot-token": "slack_bot_token",
        "stripe-live-key": "stripe_api_key",
        "sendgrid-api-key": "sendgrid_api_key",
        "google-api-key": "maps_api_key",
        "npm-token": "npm_auth_token",
        "anthropic-api-key": "anthropic_api_key",
        "age-secret-key": "age_identity",
        "generic-password": "db_password",
    }[kind]
    if ext == ".py":
        line = f'{key.upper()} = "{value}"'
    elif ext in (".js", ".ts"):
        line = f'const {key} = "{value}";'
    elif ext == ".go":
        line = f'\t{key[0].upper() + key[1:]} = "{value}"'
    elif ext == ".rs":
        line = f'    let {key} = "{value}";'
    elif ext in (".yaml", ".yml"):
        line = f"{key}: {value}"
    elif ext == ".json":
        line = f'  "{key}": "{value}",'
    elif ext in (".toml", ".ini", ".cfg", ".properties"):
        line = f'{key} = "{value}"'
    elif ext == ".sh":
        line = f'export {key.upper()}="{value}"'
    else:
        line = f"{key}={value}"
    return Planted(kind, value, value, [line])


def planted_set(rng: random.Random, per_kind: int, exts: list[str]) -> list[Planted]:
    out = []
    for kind in KINDS:
        for i in range(per_kind):
            out.append(plant(kind, exts[(i + len(out)) % len(exts)], rng))
    rng.shuffle(out)
    return out


# --- decoys: secret-shaped text that is not a secret (placeholders, documented examples) ---

def decoy_lines(rng: random.Random) -> list[str]:
    """Lines found in real repositories that look like secrets but are not: documented
    example keys, placeholders, references to environment variables, hashes."""
    return rng.choice([
        ['aws_access_key_id = "' + _p("AK", "IA") + "IOSFODNN7" + "EXAMPLE" + '"'],
        ['password = "changeme"'],
        ["api_key: ${API_KEY}"],
        ['token = os.environ["GITHUB_TOKEN"]'],
        ['secret: "<your-secret-here>"'],
        ['DATABASE_URL = "postgres://user:password@localhost:5432/dev"'],
        [f'commit = "{rand(rng, HEX, 40)}"'],
        [f'"id": "{rand(rng, HEX, 8)}-{rand(rng, HEX, 4)}-{rand(rng, HEX, 4)}-{rand(rng, HEX, 4)}-{rand(rng, HEX, 12)}",'],
        ["# set STRIPE_SECRET_KEY in your environment (" + _p("sk", "_test_") + "...)"],
        [f'sha256 = "{rand(rng, HEX, 64)}"'],
    ])


# --- realistic secret values for the vault/sops/dotenvx fixtures -----------------------------

SERVICES = ["billing", "search", "auth", "orders", "payments", "ledger", "catalog", "mailer",
            "reports", "gateway", "inventory", "profile", "notify", "audit", "media", "queue"]


def secret_values(n: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """n (NAME, value, kind) triples with realistic values of about 40 bytes on average:
    connection URLs, API tokens, hex keys, ports, flags. Values use only characters that
    every tool's dotenv parser reads the same way unquoted (no spaces, quotes, # or $)."""
    rng = random.Random(seed)
    out, used = [], set()
    base = [
        ("DATABASE_URL", "url"), ("REDIS_URL", "url"), ("STRIPE_SECRET_KEY", "stripe"),
        ("STRIPE_WEBHOOK_SECRET", "whsec"), ("SESSION_SECRET", "hex64"), ("SMTP_HOST", "host"),
        ("SMTP_PORT", "port"), ("SMTP_USERNAME", "user"), ("SMTP_PASSWORD", "password"),
        ("SENTRY_DSN", "dsn"), ("JWT_SIGNING_KEY", "b64"), ("APP_BUILD_ID", "build"),
    ]
    kinds = ["url", "token", "hex32", "password", "port", "b64", "bool", "int", "host", "user"]
    i = 0
    while len(out) < n:
        if i < len(base):
            name, kind = base[i]
        else:
            svc = SERVICES[i % len(SERVICES)].upper()
            kind = kinds[i % len(kinds)]
            suffix = {"url": "URL", "token": "API_TOKEN", "hex32": "ENCRYPTION_KEY",
                      "password": "PASSWORD", "port": "PORT", "b64": "SIGNING_KEY",
                      "bool": "ENABLED", "int": "POOL_SIZE", "host": "HOST", "user": "USERNAME"}[kind]
            name = f"{svc}_{i // len(SERVICES)}_{suffix}"
        i += 1
        if name in used:
            continue
        used.add(name)
        out.append((name, _value(kind, rng, i), kind))
    return out


def _value(kind: str, rng: random.Random, i: int) -> str:
    svc = SERVICES[i % len(SERVICES)]
    if kind == "url":
        return f"postgres://{svc}_app:{mixed(rng, ALNUM, 16)}@db-{i % 7}.internal:5432/{svc}"
    if kind == "stripe":
        return _p("sk", "_test_") + mixed(rng, ALNUM, 24)
    if kind == "whsec":
        return "whsec_" + mixed(rng, ALNUM, 32)
    if kind == "hex64":
        return rand(rng, HEX, 64)
    if kind == "hex32":
        return rand(rng, HEX, 32)
    if kind == "host":
        return f"{svc}.mail.example.net"
    if kind == "port":
        return str(rng.randrange(1024, 65535))
    if kind == "user":
        return f"{svc}-svc-{rng.randrange(100, 999)}"
    if kind == "password":
        return mixed(rng, ALNUM, 24)
    if kind == "dsn":
        return f"https://{rand(rng, HEX, 32)}@o{rng.randrange(10**5, 10**6)}.ingest.sentry.io/{rng.randrange(10**6, 10**7)}"
    if kind == "b64":
        return base64.b64encode(rng.randbytes(30)).decode()
    if kind == "build":
        return f"v{rng.randrange(10**11, 10**12)}"
    if kind == "bool":
        return rng.choice(["true", "false"])
    if kind == "int":
        return str(rng.randrange(1, 200))
    if kind == "token":
        return "tok_" + mixed(rng, ALNUM, 36)
    raise ValueError(kind)


def template_entry(name: str, kind: str) -> str:
    """The `.secrets.example.toml` entry a team would write for this secret."""
    fmt = {"url": "url", "port": "port", "bool": "bool", "int": "int", "dsn": "url"}.get(kind)
    lines = [f"[{name}]", f'description = "{name.lower().replace("_", " ")}"']
    if fmt:
        lines.append(f'format = "{fmt}"')
    if kind in ("hex64", "hex32", "password", "token", "whsec"):
        lines.append("min_length = 16")
    if kind == "stripe":
        lines.append('pattern = { prod = "^sk_live_", "*" = "^sk_test_" }')
    if kind in ("password", "token", "url"):
        lines.append("rotate_days = 365")
    return "\n".join(lines) + "\n"
