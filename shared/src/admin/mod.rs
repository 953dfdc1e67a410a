//! Operator actions (what `authctl` does), as plain functions over the domain: the CLI prints
//! their results and writes them through the store ports.

pub mod clients;
