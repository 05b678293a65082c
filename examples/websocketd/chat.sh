#!/bin/sh
# Copyright 2026 the serverpush authors. MIT license.
#
# A five-line chat room over a shared log file. Every connection runs this
# script: the user's lines are appended to the log, and the log is followed
# with `tail -n 5 -f`, so each user sees the last five lines and every new one.
#
#   chat.sh [LOG]     the log file; default $CHAT_LOG, else /tmp/websocketd-chat.log
#
#   deno run -A examples/websocketd.ts --port 8080 -- sh examples/websocketd/chat.sh /tmp/chat.log

log=${1:-${CHAT_LOG:-/tmp/websocketd-chat.log}}
: >>"$log" || exit 1

# Copy stdin to the log in the background. A background job's stdin is
# /dev/null unless redirected, hence fd 3; its stdout goes nowhere so that it
# does not hold the connection's output open. It ends when stdin closes, that
# is when the connection closes.
exec 3<&0
while IFS= read -r line <&3; do
  printf '%s\n' "$line" >>"$log"
done >/dev/null &

# Follow the log in the foreground, as this process (exec), so that stopping
# the process stops tail.
exec tail -n 5 -f "$log" 3<&- </dev/null
