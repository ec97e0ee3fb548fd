//! Events as the store keeps them.

/// One log event: what PutLogEvents accepted, plus the time it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Event time, epoch milliseconds.
    pub timestamp: i64,
    /// When the store received the event, epoch milliseconds.
    pub ingestion_time: i64,
    /// The raw event text, byte-exact.
    pub message: String,
}
