//! Stage 1 for literals: every literal prefix and context keyword of every detector, found in
//! as few SIMD passes as possible.
//!
//! One Aho-Corasick DFA over ~90 literals runs at ~500 MB/s on dense text (its table does not
//! fit in L1). aho-corasick's packed Teddy searcher runs at 2-4 GB/s but holds at most 64
//! patterns, and its fingerprint is as long as the group's shortest literal. So literals are
//! split into groups of at most 64 by length (3-byte literals together, longer ones apart),
//! each searched by Teddy where the CPU supports it and by an Aho-Corasick DFA otherwise.

use aho_corasick::{packed, AhoCorasick, AhoCorasickKind, MatchKind};

use crate::error::Error;

const GROUP: usize = 64;

enum Searcher {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

struct Group {
    searcher: Searcher,
    /// Group-local pattern index to the caller's literal index.
    ids: Vec<usize>,
}

/// The literal prefilter.
pub(crate) struct Literals {
    groups: Vec<Group>,
}

impl std::fmt::Debug for Literals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Literals")
            .field("groups", &self.groups.len())
            .finish()
    }
}

impl Literals {
    /// Builds the groups for `literals` (indices into this slice are reported).
    pub fn new(literals: &[String]) -> Result<Literals, Error> {
        let mut order: Vec<usize> = (0..literals.len()).collect();
        order.sort_by_key(|&i| (literals[i].len().min(4), i));
        let mut groups = Vec::new();
        let mut start = 0;
        while start < order.len() {
            let short = literals[order[start]].len() < 4;
            let mut end = start;
            while end < order.len()
                && end - start < GROUP
                && (literals[order[end]].len() < 4) == short
            {
                end += 1;
            }
            let ids = order[start..end].to_vec();
            groups.push(Group::new(literals, ids)?);
            start = end;
        }
        Ok(Literals { groups })
    }

    /// Calls `each(literal_index, start)` for every literal found, group by group.
    pub fn each(&self, hay: &[u8], mut each: impl FnMut(usize, usize)) {
        for g in &self.groups {
            match &g.searcher {
                Searcher::Packed(s) => {
                    for m in s.find_iter(hay) {
                        each(g.ids[m.pattern().as_usize()], m.start());
                    }
                }
                Searcher::Automaton(ac) => {
                    for m in ac.find_iter(hay) {
                        each(g.ids[m.pattern().as_usize()], m.start());
                    }
                }
            }
        }
    }
}

impl Group {
    fn new(literals: &[String], ids: Vec<usize>) -> Result<Group, Error> {
        let mut builder = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder();
        for &i in &ids {
            builder.add(&literals[i]);
        }
        let searcher = match builder.build() {
            Some(s) => Searcher::Packed(s),
            None => {
                let ac = AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(ids.iter().map(|&i| &literals[i]))
                    .map_err(|e| Error::InvalidConfig(format!("literal prefilter: {e}")))?;
                Searcher::Automaton(ac)
            }
        };
        Ok(Group { searcher, ids })
    }
}

#[cfg(test)]
mod tests {
    use super::Literals;

    #[test]
    fn every_literal_is_found_across_groups() {
        let literals: Vec<String> = (0..150)
            .map(|i| format!("k{i:03}x"))
            .chain(["ab_".into()])
            .collect();
        let prefilter = Literals::new(&literals).unwrap();
        assert!(prefilter.groups.len() >= 3);
        let hay = literals.join(" ");
        let mut found = Vec::new();
        prefilter.each(hay.as_bytes(), |i, at| found.push((i, at)));
        found.sort_unstable();
        assert_eq!(found.len(), literals.len());
        for (i, at) in found {
            assert_eq!(&hay[at..at + literals[i].len()], literals[i]);
        }
    }
}
