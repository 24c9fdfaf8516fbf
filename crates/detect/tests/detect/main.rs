//! The integration tests of leakwall-detect: one binary.

mod cases;
mod scanner;
