//! Where clamd listens: `tcp://host:port` or `unix:///path/to/clamd.ctl`.

use std::fmt;
use std::path::PathBuf;

use crate::Error;

/// A clamd address, parsed once from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClamdAddress {
    /// `tcp://host:port` (clamd's `TCPSocket`/`TCPAddr`).
    Tcp(String),
    /// `unix:///path` (clamd's `LocalSocket`).
    Unix(PathBuf),
}

impl ClamdAddress {
    /// Parses `tcp://host:port` or `unix:///absolute/path`.
    pub fn parse(url: &str) -> Result<ClamdAddress, Error> {
        if let Some(hostport) = url.strip_prefix("tcp://") {
            let hostport = hostport.trim_end_matches('/');
            let port = hostport
                .rsplit_once(':')
                .map(|(host, port)| (host, port.parse::<u16>()));
            return match port {
                Some((host, Ok(port))) if !host.is_empty() && port != 0 => {
                    Ok(ClamdAddress::Tcp(hostport.to_owned()))
                }
                _ => Err(Error::Address(format!(
                    "`{url}` needs a host and a port, e.g. tcp://127.0.0.1:3310"
                ))),
            };
        }
        if let Some(path) = url.strip_prefix("unix://") {
            if path.starts_with('/') && path.len() > 1 {
                return Ok(ClamdAddress::Unix(PathBuf::from(path)));
            }
            return Err(Error::Address(format!(
                "`{url}` needs an absolute path, e.g. unix:///run/clamav/clamd.ctl"
            )));
        }
        Err(Error::Address(format!(
            "`{url}` must start with tcp:// or unix://"
        )))
    }
}

impl fmt::Display for ClamdAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClamdAddress::Tcp(hostport) => write!(f, "tcp://{hostport}"),
            ClamdAddress::Unix(path) => write!(f, "unix://{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_print_back() {
        for url in [
            "tcp://127.0.0.1:3310",
            "tcp://clamav.internal:3310",
            "unix:///run/c.ctl",
        ] {
            assert_eq!(ClamdAddress::parse(url).expect(url).to_string(), url);
        }
        assert_eq!(
            ClamdAddress::parse("tcp://[::1]:3310").expect("ipv6"),
            ClamdAddress::Tcp("[::1]:3310".into())
        );
    }

    #[test]
    fn bad_addresses_say_what_is_expected() {
        for url in [
            "",
            "127.0.0.1:3310",
            "tcp://host",
            "tcp://:3310",
            "tcp://h:0",
            "tcp://h:x",
            "unix://relative",
            "unix://",
            "http://h:1",
        ] {
            let err = ClamdAddress::parse(url).expect_err(url).to_string();
            assert!(err.contains("antivirus.clamd"), "{url}: {err}");
        }
    }
}
