#!/bin/sh
# Pin every Python dependency with its hashes (pip's --require-hashes mode), from pyproject.toml:
#   packaging/lock/runtime.txt   what the kiosk runs with (the .deb's venv)
#   packaging/lock/dev.txt       runtime + the [dev] tools (make's venv, CI)
#   packaging/lock/no-deps.txt   face_recognition, installed with --no-deps (it pins dlib, not
#                                dlib-bin, and a source build of dlib takes half an hour)
# Run after changing dependencies in pyproject.toml; to move a pin, give `-P name==version`.
# Universal: one lock for x86_64 and ARM kiosks, with every wheel's hash.
set -eu
cd "$(dirname "$0")/.."
UV="${UV:-uv}"
common="--universal --python-version 3.11 --generate-hashes --quiet --no-header"
# shellcheck disable=SC2086
"$UV" pip compile pyproject.toml $common "$@" -o packaging/lock/runtime.txt
# shellcheck disable=SC2086
"$UV" pip compile pyproject.toml --extra dev $common -c packaging/lock/runtime.txt "$@" \
    -o packaging/lock/dev.txt
printf 'face_recognition==1.3.0\n' > packaging/lock/no-deps.in
# shellcheck disable=SC2086
"$UV" pip compile packaging/lock/no-deps.in --no-deps $common -o packaging/lock/no-deps.txt
rm packaging/lock/no-deps.in
