#!/usr/bin/env bash
# Serve the app with two background workers; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

# Static files into var/static: with DEBUG=false, WhiteNoise serves them from its manifest.
$BIN/python manage.py collectstatic --noinput --verbosity 0

# Two workers (django-tasks-db's db_worker): while one trains the CRF (minutes, queued by
# `make setup` on a fresh machine), the other goes on with imports and pre-tagging.
# setsid: Ctrl-C reaches only the server; stop() below stops the workers once, gently.
workers=()
for _ in 1 2; do
	setsid $BIN/python manage.py db_worker --queue-name '*' --no-reload &
	workers+=($!)
done

stop() {
	trap - EXIT INT TERM
	# One SIGTERM: a worker finishes its task and exits. One still busy after 5 s (a CRF
	# training) is killed; its task stays "running" and recover_tasks in the next
	# `make run` queues it again. A second SIGTERM would fail the task instead.
	kill -TERM "${workers[@]}" 2>/dev/null || true
	for _ in $(seq 50); do
		[ -z "$(jobs -pr)" ] && break # (kill -0 would still find them, as zombies)
		sleep 0.1
	done
	kill -KILL "${workers[@]}" 2>/dev/null || true
	wait "${workers[@]}" 2>/dev/null || true
}
trap stop EXIT INT TERM

echo
debug=${DEBUG:-true}
demo=""  # make run's demo users, never in production (settings.envbool's truths)
case "${debug,,}" in 1 | true | yes | on) demo="  (annotator / annotator-demo, editor / editor-demo)" ;; esac
echo "Newsdesk is at http://$HOST:$PORT/$demo"
echo "Worker pids ${workers[*]} process queues default and nlp. Ctrl-C stops them and the server."
echo "The CRF tagger trains in the background on a fresh machine: the Tagger page shows how far."
echo
$BIN/gunicorn newsdesk.wsgi --bind "$HOST:$PORT" --workers 2 --access-logfile - --log-level warning
