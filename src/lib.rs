//! Examples and end-to-end tests for `tool-runtime`; nothing to use here.
