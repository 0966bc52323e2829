#!/bin/sh
set -eu
curl -fsS -u deploy:{{GEN:ALNUM:18}} https://ci.internal/api/v1/release
curl -fsS -H "Authorization: Basic {{BASIC_B64}}" https://registry.internal/v2/
