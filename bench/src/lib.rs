//! Leakwall benchmark support: a seeded PRNG, a dense chat/log corpus generator with planted
//! secrets, OOXML/PDF/ZIP writers for the `files/` part, and the local fallback patterns; and
//! the parts of `api_latency`, the admin API latency benchmark ([`api`]).

pub mod api;
pub mod files;
pub mod patterns;
pub mod rng;
pub mod secrets;
pub mod text;
pub mod vocab;
