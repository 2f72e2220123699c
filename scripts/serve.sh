#!/usr/bin/env bash
# Serve the app with one background worker; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

$BIN/python manage.py db_worker --queue-name '*' --no-reload &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM

echo
echo "Newsdesk is at http://$HOST:$PORT/  (annotator / annotator-demo, editor / editor-demo)"
echo "Worker pid $worker processes queues default and nlp. Ctrl-C stops both."
echo
$BIN/gunicorn newsdesk.wsgi --bind "$HOST:$PORT" --workers 2 --access-logfile - --log-level warning
