//! Every integration test of netpc in one binary (one link instead of one per file):
//! one module per area, fixtures under `tests/` (ui, verify, insight, analyze, output),
//! snapshots under `tests/it/snapshots/`, except the fixture-driven ones, which sit
//! beside their fixtures (`tests/ui/**`, `tests/lower/`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod admission_guard;
mod analyze_cli;
mod analyze_cyclonus;
mod analyze_load;
mod analyze_matrix;
mod analyze_semantics;
mod build_cli;
mod build_stdlib;
mod build_write_process;
mod ci;
mod cli_check;
mod cni;
mod common;
mod correctness;
mod differential;
mod editors;
mod emit_yaml;
mod examples;
mod fmt_cli;
mod fmt_golden;
mod fmt_identity;
mod generator;
mod ide;
mod import;
mod import_terms;
mod insight_diff;
mod insight_docs;
mod insight_explain;
mod insight_git;
mod insight_graph;
mod kit_client;
mod kit_expected;
mod kit_report;
mod kit_run;
mod kit_security;
mod limits;
mod lower_cases;
mod lower_scale;
mod lower_spec;
mod lower_support;
mod lsp;
mod output_layout;
mod output_read;
mod render_limits;
mod robustness;
mod syntax;
mod tidy;
mod ui;
mod verify_cli;
mod verify_mutations;
mod verify_pairs;
mod workloads;
