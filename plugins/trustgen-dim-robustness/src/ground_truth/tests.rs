//! Tests of the ground-truth task.
