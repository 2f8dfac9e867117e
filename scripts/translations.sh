#!/usr/bin/env bash
# Update the page catalogues: extract msgids (English) from the templates, merge them into
# hall/translations/zh, and compile the .mo files the app loads (they are committed).
set -euo pipefail
cd "$(dirname "$0")/.."
BABEL=.venv/bin/pybabel
POT=$(mktemp --suffix .pot)
trap 'rm -f "$POT"' EXIT
$BABEL extract -F hall/translations/babel.cfg -k bi -k pair -o "$POT" --no-location --omit-header .
$BABEL update -i "$POT" -d hall/translations -l zh --no-fuzzy-matching --ignore-obsolete
$BABEL compile -d hall/translations --statistics
