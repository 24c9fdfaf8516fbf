//! Leakwall benchmark support: a seeded PRNG, a dense chat/log corpus generator with planted
//! secrets, OOXML/PDF/ZIP writers for the `files/` part, and the local fallback patterns.

pub mod files;
pub mod patterns;
pub mod rng;
pub mod secrets;
pub mod text;
pub mod vocab;
