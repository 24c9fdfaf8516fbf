//! The clamd client against a real `clamd` started for the test, with signatures made at test
//! time (`leakwall_antivirus::testing`): EICAR in a text file, a ZIP and a DOCX, a clean file,
//! a file over the daemon's stream limit, TCP and the Unix socket, the daemon stopped and back.

mod daemon;
