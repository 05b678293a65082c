// Copyright 2026 the serverpush authors. MIT license.

/**
 * Raw TCP push: NUL- or line-delimited messages and a push relay.
 *
 * @module
 */
