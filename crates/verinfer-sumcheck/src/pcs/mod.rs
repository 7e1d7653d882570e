//! Multilinear polynomial commitments (placeholder while HyperKZG lands).
