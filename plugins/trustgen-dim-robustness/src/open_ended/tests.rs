//! Tests of the open-ended task.
