//! Text of the output files (placeholder).
