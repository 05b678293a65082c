// Copyright 2026 the serverpush authors. MIT license.

/**
 * Polling transports: short polling, long polling and the forever iframe.
 *
 * @module
 */
