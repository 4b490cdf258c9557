//! Tests of the plugin as a whole.
