// Copyright 2026 the serverpush authors. MIT license.
// Which test files tests/runtimes/run.ts runs on Node and Bun: those that
// need no Deno API (no Deno.serve, Deno.connect, Deno.Command, files), so
// they run unchanged on every runtime. A file that starts a server or a
// client through Deno stays Deno-only until `serve` and the clients run on
// every runtime; add it here then.

/** Test files, relative to the repository root. */
export const FILES: readonly string[] = [
  "tests/sse/decoder_stream_test.ts",
  "tests/sse/encode_test.ts",
  "tests/sse/encoder_stream_test.ts",
  "tests/sse/parser_differential_test.ts",
  "tests/sse/parser_test.ts",
  "tests/sse/push_queue_test.ts",
  "tests/sse/round_trip_test.ts",
  "tests/ws/_codec_connection_test.ts",
  "tests/ws/_extensions_test.ts",
  "tests/ws/_fit_close_reason_test.ts",
  "tests/ws/_heartbeat_test.ts",
  "tests/ws/_http1_test.ts",
  "tests/ws/_mask_test.ts",
  "tests/ws/_socket_connection_test.ts",
  "tests/ws/accept_key_test.ts",
  "tests/ws/admit_upgrade_test.ts",
  "tests/ws/check_origin_test.ts",
  "tests/ws/client_handshake_test.ts",
  "tests/ws/close_code_test.ts",
  "tests/ws/conformance_test.ts",
  "tests/ws/decode_error_test.ts",
  "tests/ws/deflate_limiter_test.ts",
  "tests/ws/deflate_negotiation_test.ts",
  "tests/ws/encode_close_payload_test.ts",
  "tests/ws/encode_frame_test.ts",
  "tests/ws/frame_decoder_stream_test.ts",
  "tests/ws/frame_encoder_stream_test.ts",
  "tests/ws/frame_encoder_test.ts",
  "tests/ws/frame_interop_test.ts",
  "tests/ws/frame_parser_test.ts",
  "tests/ws/fuzz_test.ts",
  "tests/ws/handshake_error_test.ts",
  "tests/ws/is_valid_close_code_test.ts",
  "tests/ws/json_codec_test.ts",
  "tests/ws/message_decoder_stream_test.ts",
  "tests/ws/message_encoder_stream_test.ts",
  "tests/ws/opcode_test.ts",
  "tests/ws/parse_close_payload_test.ts",
  "tests/ws/permessage_deflate_interop_test.ts",
  "tests/ws/permessage_deflate_test.ts",
  "tests/ws/protocol_error_test.ts",
  "tests/ws/round_trip_test.ts",
  "tests/ws/server_handshake_test.ts",
  "tests/ws/typed_connection_test.ts",
  "tests/message/encoded_once_test.ts",
  "tests/message/message_to_json_test.ts",
  "tests/message/message_to_sse_test.ts",
  "tests/message/polling_envelope_test.ts",
  "tests/message/serverpush_v1_test.ts",
  "tests/hub/hub_test.ts",
  "tests/hub/max_queued_bytes_test.ts",
  "tests/hub/memory_backend_test.ts",
  "tests/hub/redis_internals_test.ts",
  "tests/hub/memory_backend_conformance_test.ts",
  "tests/hub/counters_test.ts",
  "tests/polling/source_test.ts",
  "tests/serve/_node_duplex_test.ts",
  "tests/serve/_node_request_test.ts",
  "tests/serve/_node_request_url_test.ts",
  "tests/serve/_node_upgrade_response_test.ts",
  "tests/auth/request_token_test.ts",
  "tests/auth/authorize_with_jwt_test.ts",
  "tests/client/connect_reconnect_bounds_test.ts",
  "tests/tcp/nul_delimited_decoder_stream_test.ts",
  "tests/tcp/nul_delimited_encoder_stream_test.ts",
  "tests/_internal/accept_loop_test.ts",
  "tests/_internal/queue_test.ts",
  "tests/_internal/ticker_test.ts",
];

/**
 * Files of FILES not run on one runtime yet, each with the reason run.ts
 * prints. Every entry is a gap to close, not a pass.
 */

const SLOW_STREAMS =
  "over 40 s on Node 20 here (it pushes every split of many inputs through " +
  "web streams, which are far slower on Node; Bun runs it in 6-15 s): " +
  "too slow for the test task, not a failure";

export const EXCLUDED: Record<"node" | "bun", Record<string, string>> = {
  node: {
    "tests/ws/conformance_test.ts": SLOW_STREAMS,
    "tests/ws/fuzz_test.ts": SLOW_STREAMS,
    "tests/ws/round_trip_test.ts": SLOW_STREAMS,
  },
  bun: {
    "tests/ws/permessage_deflate_interop_test.ts":
      "Bun answers require('ws') with its own built-in ws, so the test " +
      "cannot load npm ws's lib/ files it compares against",
  },
};

/**
 * Tests skipped on one runtime, each with the reason printed in the
 * report (`# SKIP <reason>`). Keyed by the test's full name.
 */
export const SKIPS: Record<"node" | "bun", Record<string, string>> = {
  node: {
    "checkOrigin matches an allow-list of strings and matchers":
      "the test builds a URLPattern matcher, and Node 20 has no URLPattern",
    "SseDecoderStream parses a 1 MiB line fed one byte at a time":
      "a million one-byte chunks through Node 20's web streams take minutes " +
      "and starve its timers; a speed gap of Node's streams, not a behavior one",
  },
  bun: {},
};
