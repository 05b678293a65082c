#!/bin/sh
# Copyright 2026 the serverpush authors. MIT license.
#
# The greeter: answers each line it reads with "Hello <line>!".
# Behind websocketd, every text message is a line and every answer a message:
#   deno run -A examples/websocketd.ts --port 8080 -- sh examples/websocketd/greeter.sh

while IFS= read -r name; do
  printf 'Hello %s!\n' "$name"
done
