//! Insights functions as DataFusion UDFs, one file per family.
//!
//! Every UDF is a unit struct named by its function name, so that plans stay serialisable by
//! name (no closures over local state).

pub mod sort_key;
