//! `api_latency`'s parts: realistic incidents to fill the store with ([`incidents`]), the
//! databases under test ([`database`]), the closed-loop load generator ([`load`]) and the
//! percentiles and tables ([`report`]).

pub mod database;
pub mod incidents;
pub mod load;
pub mod report;
