//! Lowering the checked program to NetworkPolicy objects (placeholder).
