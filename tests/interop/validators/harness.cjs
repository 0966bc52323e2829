// Runs generated zod (TypeScript) and joi validators on batches of cases, for
// tests/integration/template.rs. Reads one JSON document on stdin:
//   {"kind": "zod"|"joi", "modules": [{"path", "cases": [{"env", "values"}]}],
//    "formats": {"path", "checks": [[format, value], ...]}}
// and prints {"modules": [[bool, ...], ...], "formats": [bool, ...]}. TypeScript is
// transpiled with the typescript package (type-checking is tsc's job, done separately).
"use strict";

const fs = require("fs");
const path = require("path");
const ts = require("typescript");

function load(file) {
  let target = file;
  if (file.endsWith(".ts")) {
    const output = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    });
    target = file.replace(/\.ts$/, ".cjs");
    fs.writeFileSync(target, output.outputText);
  }
  return require(path.resolve(target));
}

function main() {
  const request = JSON.parse(fs.readFileSync(0, "utf8"));
  const result = { modules: [], formats: [] };
  for (const entry of request.modules) {
    const module = load(entry.path);
    const verdicts = [];
    for (const c of entry.cases) {
      const source = Object.assign({}, c.values);
      if (c.env !== null) source[module.ENV_VAR] = c.env;
      try {
        if (request.kind === "zod") module.parseEnv(source);
        else module.validateEnv(source);
        verdicts.push(true);
      } catch (error) {
        if (error.name !== (request.kind === "zod" ? "ZodError" : "ValidationError")) throw error;
        // A refusal must not carry a value: vault's own messages never do.
        for (const v of Object.values(c.values)) {
          if (v.length >= 8 && JSON.stringify({ m: error.message, d: error.details ?? error.issues }).includes(JSON.stringify(v).slice(1, -1))) {
            throw new Error("a refusal quotes a value");
          }
        }
        verdicts.push(false);
      }
    }
    result.modules.push(verdicts);
  }
  if (request.formats) {
    const module = load(request.formats.path);
    const names = { url: "Url", int: "Int", bool: "Bool", port: "Port", email: "Email",
      pem: "Pem", json: "Json", base64: "Base64", string: "String" };
    for (const [name, value] of request.formats.checks) {
      result.formats.push(Boolean(module["check" + names[name]](value)));
    }
  }
  process.stdout.write(JSON.stringify(result));
}

main();
