#!/bin/sh
set -eu
export GITHUB_TOKEN={{GITHUB_CLASSIC}}
gh release create "$1" dist/*
