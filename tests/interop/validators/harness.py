"""Runs generated Pydantic validators on batches of cases, for tests/integration/template.rs.

Reads one JSON document on stdin:
  {"modules": [{"path": ..., "cases": [{"env": str|null, "values": {name: value}}]}],
   "formats": {"path": ..., "checks": [[format, value], ...]}}
and prints, for each module, whether each case was accepted, and for the format checks
whether each value was: {"modules": [[bool, ...], ...], "formats": [bool, ...]}.
"""

import importlib.util
import json
import os
import sys

import pydantic


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    request = json.load(sys.stdin)
    result = {"modules": [], "formats": []}
    for index, entry in enumerate(request["modules"]):
        module = load(entry["path"], f"generated_{index}")
        names = list(module._FIELDS) + [module.ENV_VAR]
        verdicts = []
        for case in entry["cases"]:
            for name in names:
                os.environ.pop(name, None)
            if case["env"] is not None:
                os.environ[module.ENV_VAR] = case["env"]
            os.environ.update(case["values"])
            try:
                module.Settings()
                verdicts.append(True)
            except pydantic.ValidationError as error:
                # A refusal must not show a value: vault's own messages never do. (Its
                # `errors()` holds the input unless asked not to: docs/template-codegen.md.)
                shown = str(error) + repr(error) + repr(error.errors(include_input=False))
                for value in case["values"].values():
                    if len(value) >= 8 and value in shown:
                        raise AssertionError(f"a refusal quotes a value: {value!r} in {shown}") from None
                verdicts.append(False)
        result["modules"].append(verdicts)
    formats = request.get("formats")
    if formats:
        module = load(formats["path"], "generated_formats")
        for name, value in formats["checks"]:
            result["formats"].append(bool(getattr(module, f"check_{name}")(value)))
    json.dump(result, sys.stdout)


main()
