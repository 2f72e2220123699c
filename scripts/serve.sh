#!/usr/bin/env bash
# Serve the app with one background worker; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

# Static files into var/static: with DEBUG=false, WhiteNoise serves them from its manifest.
$BIN/python manage.py collectstatic --noinput --verbosity 0

$BIN/python manage.py db_worker --queue-name '*' --no-reload &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM

echo
debug=${DEBUG:-true}
demo=""  # make run's demo users, never in production (settings.envbool's truths)
case "${debug,,}" in 1 | true | yes | on) demo="  (annotator / annotator-demo, editor / editor-demo)" ;; esac
echo "Newsdesk is at http://$HOST:$PORT/$demo"
echo "Worker pid $worker processes queues default and nlp. Ctrl-C stops both."
echo
$BIN/gunicorn newsdesk.wsgi --bind "$HOST:$PORT" --workers 2 --access-logfile - --log-level warning
