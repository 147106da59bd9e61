//! Insight into what compiled policies allow, for `netpc diff`, `netpc graph` and
//! connection `netpc explain`. Pure: the CLI reads files, runs git and compiles
//! programs; this tree turns a side (the files of an output folder) into the probe
//! cluster of `crate::probe`, evaluates it with the independent evaluator
//! (`crate::analyze`), and compares, draws or explains the result. It never uses
//! `lower` to decide connectivity: it reads what lowering wrote.

pub mod conn_diff;
pub mod connection;
pub mod conns;
pub mod drawing;
pub mod git_objects;
pub mod manifest_side;
pub mod ranges;
pub mod side;
