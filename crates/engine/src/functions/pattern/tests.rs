//! The aggregate as DataFusion runs it: partitions merged in any order, rows in any order.
