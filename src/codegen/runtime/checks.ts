// Rust's `char::is_whitespace` (Unicode White_Space); JavaScript's `\s` differs.
const WHITESPACE = /@WHITESPACE@/u;

function isAsciiDigits(value@{: string}@)@{: boolean}@ {
  return value !== "" && /^[0-9]+$/.test(value);
}

function isAscii(value@{: string}@)@{: boolean}@ {
  return /^[\u0000-\u007f]*$/.test(value);
}

/** `scheme://` then at least one character, no whitespace (vault's `url`). */
function checkUrl(value@{: string}@)@{: boolean}@ {
  if (WHITESPACE.test(value)) return false;
  const at = value.indexOf("://");
  if (at < 0) return false;
  const scheme = value.slice(0, at);
  const rest = value.slice(at + 3);
  return /^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme) && rest !== "";
}

/** An optional sign then ASCII digits, within the 64-bit range (vault's `int`). */
function checkInt(value@{: string}@)@{: boolean}@ {
  const negative = value.startsWith("-");
  const digits = negative || value.startsWith("+") ? value.slice(1) : value;
  if (!isAsciiDigits(digits)) return false;
  const number = negative ? -BigInt(digits) : BigInt(digits);
  return number >= -(2n ** 63n) && number <= 2n ** 63n - 1n;
}

/** true, false, yes, no, 1 or 0, ASCII case-insensitive (vault's `bool`). */
function checkBool(value@{: string}@)@{: boolean}@ {
  if (!isAscii(value)) return false;
  return ["true", "false", "yes", "no", "1", "0"].includes(value.toLowerCase());
}

/** ASCII digits, no sign, from 1 to 65535; leading zeros allowed (vault's `port`). */
function checkPort(value@{: string}@)@{: boolean}@ {
  if (!isAsciiDigits(value)) return false;
  const port = BigInt(value);
  return port >= 1n && port <= 65535n;
}

/** `local@domain.tld`, one `@`, no whitespace (vault's `email`). */
function checkEmail(value@{: string}@)@{: boolean}@ {
  if (WHITESPACE.test(value)) return false;
  const at = value.indexOf("@");
  if (at < 0) return false;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (domain.includes("@") || local === "" || !domain.includes(".")) return false;
  return domain.split(".").every((label) => label !== "");
}

/** A `-----BEGIN <label>-----` then a matching END line (vault's `pem`). */
function checkPem(value@{: string}@)@{: boolean}@ {
  const begin = value.indexOf("-----BEGIN ");
  if (begin < 0) return false;
  const start = begin + "-----BEGIN ".length;
  const end = value.indexOf("-----", start);
  if (end < 0) return false;
  const label = value.slice(start, end);
  if (label === "" || label.includes("\n") || label.includes("\r")) return false;
  let rest = value.slice(end + 5);
  for (;;) {
    const at = rest.indexOf("-----END ");
    if (at < 0) return false;
    rest = rest.slice(at + "-----END ".length);
    if (rest.startsWith(label) && rest.slice(label.length).startsWith("-----")) return true;
  }
}

/** The index after the string whose opening quote is before `i`, or -1. */
function jsonString(value@{: string}@, i@{: number}@)@{: number}@ {
  const n = value.length;
  while (i < n) {
    const c = value.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      i += 1;
      if (i >= n) return -1;
      const e = value[i];
      if (e === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(value.slice(i + 1, i + 5))) return -1;
        i += 4;
      } else if (!'"\\/bfnrt'.includes(e)) {
        return -1;
      }
    }
    i += 1;
  }
  return -1;
}

function isDigit(value@{: string}@, i@{: number}@)@{: boolean}@ {
  const c = value.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

/** The index after the number starting at `i`, or -1. */
function jsonNumber(value@{: string}@, i@{: number}@)@{: number}@ {
  if (value[i] === "-") i += 1;
  if (value[i] === "0") {
    i += 1;
  } else if (isDigit(value, i) && value[i] !== "0") {
    while (isDigit(value, i)) i += 1;
  } else {
    return -1;
  }
  if (value[i] === ".") {
    i += 1;
    if (!isDigit(value, i)) return -1;
    while (isDigit(value, i)) i += 1;
  }
  if (value[i] === "e" || value[i] === "E") {
    i += 1;
    if (value[i] === "+" || value[i] === "-") i += 1;
    if (!isDigit(value, i)) return -1;
    while (isDigit(value, i)) i += 1;
  }
  return i;
}

function jsonSpace(value@{: string}@, i@{: number}@)@{: number}@ {
  while (i < value.length && " \t\n\r".includes(value[i])) i += 1;
  return i;
}

/** After `{` or `,` in an object: a string key and `:`; the index after, or -1. */
function jsonKey(value@{: string}@, i@{: number}@)@{: number}@ {
  i = jsonSpace(value, i);
  if (value[i] !== '"') return -1;
  i = jsonString(value, i + 1);
  if (i < 0) return -1;
  i = jsonSpace(value, i);
  if (value[i] !== ":") return -1;
  return i + 1;
}

/**
 * One JSON value (RFC 8259), as vault reads it: grammar only, so any nesting depth, any
 * number's size and unpaired surrogate escapes are accepted, while NaN, trailing commas
 * and control characters in strings are not (vault's `json`).
 */
function checkJson(value@{: string}@)@{: boolean}@ {
  const n = value.length;
  const stack@{: string[]}@ = [];
  let i = 0;
  for (;;) {
    i = jsonSpace(value, i);
    if (i >= n) return false;
    const c = value[i];
    if (c === "[" || c === "{") {
      const close = c === "[" ? "]" : "}";
      i = jsonSpace(value, i + 1);
      if (value[i] === close) {
        i += 1;
      } else {
        stack.push(close);
        if (c === "{") {
          i = jsonKey(value, i);
          if (i < 0) return false;
        }
        continue;
      }
    } else if (c === '"') {
      i = jsonString(value, i + 1);
    } else if (c === "-" || isDigit(value, i)) {
      i = jsonNumber(value, i);
    } else if (value.startsWith("true", i) || value.startsWith("null", i)) {
      i += 4;
    } else if (value.startsWith("false", i)) {
      i += 5;
    } else {
      return false;
    }
    if (i < 0) return false;
    for (;;) {
      i = jsonSpace(value, i);
      if (stack.length === 0) return i === n;
      if (i >= n) return false;
      if (value[i] === stack[stack.length - 1]) {
        stack.pop();
        i += 1;
        continue;
      }
      if (value[i] !== ",") return false;
      i += 1;
      if (stack[stack.length - 1] === "}") {
        i = jsonKey(value, i);
        if (i < 0) return false;
      }
      break;
    }
  }
}

/** One base64 alphabet, complete padding or none, no whitespace (vault's `base64`). */
function checkBase64(value@{: string}@)@{: boolean}@ {
  const body = value.replace(/=+$/, "");
  const padding = value.length - body.length;
  if (body === "") return false;
  if (!/^[A-Za-z0-9+\/]*$/.test(body) && !/^[A-Za-z0-9_-]*$/.test(body)) return false;
  if (padding === 0) return body.length % 4 !== 1;
  return padding <= 2 && value.length % 4 === 0;
}

/** Anything (vault's `string`). */
function checkString(_value@{: string}@)@{: boolean}@ {
  return true;
}

/** What is wrong with `value` as the value of `name`: format, then length. */
function valueProblems(name@{: string}@, value@{: string}@)@{: string[]}@ {
  const problems@{: string[]}@ = [];
  const format = FORMATS.get(name);
  if (format !== undefined && !format[0](value)) problems.push(format[1]);
  const minimum = MIN_LENGTH.get(name);
  if (minimum !== undefined && [...value].length < minimum) {
    problems.push(`\`${name}\` is shorter than the minimum of ${minimum} characters`);
  }
  return problems;
}

/**
 * Required secrets that are not set, and values that do not match the pattern of the
 * environment `env` (undefined: the variable is not set).
 */
function environmentProblems(
  values@{: Record<string, string | undefined>}@,
  env@{: string | undefined}@,
)@{: string[]}@ {
  const problems@{: string[]}@ = [];
  const where = env === undefined ? "" : ` in \`${env}\``;
  for (const name of NAMES) {
    const value = Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined;
    if (value === undefined) {
      const required = REQUIRED.get(name);
      if (required === null || (env !== undefined && required !== undefined && required.includes(env))) {
        problems.push(`\`${name}\` is required${where} but not set`);
      }
      continue;
    }
    const patterns = PATTERNS.get(name);
    const own = env === undefined ? undefined : patterns?.get(env);
    const rule = own ?? patterns?.get("*");
    if (rule !== undefined && !rule[1].test(value)) {
      problems.push(`\`${name}\` does not match the pattern \`${rule[0]}\` required${where}`);
    }
  }
  return problems;
}
