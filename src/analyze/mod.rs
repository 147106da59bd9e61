//! The independent NetworkPolicy evaluator (placeholder).
