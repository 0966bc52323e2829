#!/bin/sh
curl -s https://reports.acme.dev/export \
  -H "Authorization: Basic {{HEX_SECRET}}" \
  -o export.csv
