//! Permissions as independent flags ([`Flags`]): `WRITE` and `MANAGE`, `READ` implied by any
//! share; the familiar roles for display; the OCS permission bits.

use serde::{Serialize, Serializer};

use super::SharingError;

/// OCS permission bit: read.
pub const OCS_READ: u32 = 1;
/// OCS permission bit: update.
pub const OCS_UPDATE: u32 = 2;
/// OCS permission bit: create.
pub const OCS_CREATE: u32 = 4;
/// OCS permission bit: delete.
pub const OCS_DELETE: u32 = 8;
/// OCS permission bit: share.
pub const OCS_SHARE: u32 = 16;
/// The OCS bits that make up `WRITE`.
pub const OCS_WRITE_BITS: u32 = OCS_UPDATE | OCS_CREATE | OCS_DELETE;
/// Every OCS permission bit (31 = all).
pub const OCS_ALL: u32 = OCS_READ | OCS_WRITE_BITS | OCS_SHARE;

/// What a share grants beyond reading: independent flags, not a ladder (MANAGE without WRITE
/// is valid).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    /// May change content.
    pub write: bool,
    /// May change who has access.
    pub manage: bool,
}

impl Flags {
    /// Read only (the viewer role).
    pub const NONE: Flags = Flags {
        write: false,
        manage: false,
    };
    /// `WRITE` alone (the editor role).
    pub const WRITE: Flags = Flags {
        write: true,
        manage: false,
    };
    /// `MANAGE` alone.
    pub const MANAGE: Flags = Flags {
        write: false,
        manage: true,
    };

    /// Parses flag names (`WRITE`, `MANAGE`, and `READ`, which is implied and adds nothing),
    /// case-insensitively. Any other name is [`SharingError::UnknownFlag`].
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Flags, SharingError> {
        let mut flags = Flags::NONE;
        for name in names {
            let name = name.as_ref();
            match name.to_ascii_uppercase().as_str() {
                "READ" => {}
                "WRITE" => flags.write = true,
                "MANAGE" => flags.manage = true,
                _ => {
                    return Err(SharingError::UnknownFlag {
                        flag: shorten(name),
                    })
                }
            }
        }
        Ok(flags)
    }

    /// The flags of OCS permission bits: WRITE = any of update, create, delete; MANAGE =
    /// share. Bits above 31 are [`SharingError::UnknownFlag`].
    pub fn from_ocs(bits: u32) -> Result<Flags, SharingError> {
        if bits & !OCS_ALL != 0 {
            return Err(SharingError::UnknownFlag {
                flag: format!("OCS permission bits {bits}"),
            });
        }
        Ok(Flags {
            write: bits & OCS_WRITE_BITS != 0,
            manage: bits & OCS_SHARE != 0,
        })
    }

    /// OCS permission bits granting these flags (read always; all three write bits).
    pub fn to_ocs(self) -> u32 {
        let mut bits = OCS_READ;
        if self.write {
            bits |= OCS_WRITE_BITS;
        }
        if self.manage {
            bits |= OCS_SHARE;
        }
        bits
    }

    /// The names of the flags set, `WRITE` first.
    pub fn names(self) -> Vec<&'static str> {
        let mut names = Vec::with_capacity(2);
        if self.write {
            names.push("WRITE");
        }
        if self.manage {
            names.push("MANAGE");
        }
        names
    }

    /// The familiar role for display: viewer, editor, owner, or `manager` for MANAGE without
    /// WRITE (no familiar role has that combination).
    pub fn role(self) -> &'static str {
        match (self.write, self.manage) {
            (false, false) => "viewer",
            (true, false) => "editor",
            (true, true) => "owner",
            (false, true) => "manager",
        }
    }
}

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.names().serialize(serializer)
    }
}

/// Permission bits without WRITE (what a revocation sets on an OCS share).
pub fn ocs_without_write(bits: u32) -> u32 {
    bits & !OCS_WRITE_BITS
}

/// At most 64 characters of a name from the input, for messages.
pub(crate) fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(64).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_roles() {
        assert_eq!(Flags::parse(&["read", "Write"]).unwrap(), Flags::WRITE);
        assert_eq!(Flags::parse(&["MANAGE"]).unwrap().role(), "manager");
        assert_eq!(Flags::parse::<&str>(&[]).unwrap().role(), "viewer");
        assert_eq!(Flags::parse(&["WRITE", "MANAGE"]).unwrap().role(), "owner");
        assert!(matches!(
            Flags::parse(&["DELETE"]),
            Err(SharingError::UnknownFlag { .. })
        ));
    }

    #[test]
    fn ocs_bits() {
        for bits in [2, 4, 8, 3, 15] {
            assert!(Flags::from_ocs(bits).unwrap().write, "{bits}");
        }
        assert_eq!(Flags::from_ocs(17).unwrap(), Flags::MANAGE);
        assert_eq!(Flags::from_ocs(1).unwrap(), Flags::NONE);
        assert!(Flags::from_ocs(32).is_err());
        assert_eq!(ocs_without_write(31), 17);
        assert_eq!(Flags::WRITE.to_ocs(), 15);
    }
}
