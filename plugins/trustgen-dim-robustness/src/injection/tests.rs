//! Tests of the prompt-injection task.
