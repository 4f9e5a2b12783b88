//! Sets of ports per protocol, for the policy map: which ports a flow allows is the union of
//! the ports of the rules that allow it on each side, and the intersection of the two sides.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::model::Protocol;

/// Port numbers per protocol, each list sorted, with no two ranges overlapping or touching.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortSet {
    /// Inclusive ranges of TCP ports.
    pub tcp: Vec<(u16, u16)>,
    pub udp: Vec<(u16, u16)>,
    pub sctp: Vec<(u16, u16)>,
}

const EVERY: (u16, u16) = (1, u16::MAX);
const PROTOCOLS: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

impl PortSet {
    /// Every port of every protocol: what a side without policies, or a rule without `ports`,
    /// allows.
    pub fn every() -> Self {
        Self {
            tcp: vec![EVERY],
            udp: vec![EVERY],
            sctp: vec![EVERY],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tcp.is_empty() && self.udp.is_empty() && self.sctp.is_empty()
    }

    /// Whether every port of every protocol is in the set.
    pub fn is_every(&self) -> bool {
        PROTOCOLS.iter().all(|p| self.ranges(*p) == [EVERY])
    }

    /// The ranges of one protocol.
    pub fn ranges(&self, protocol: Protocol) -> &[(u16, u16)] {
        match protocol {
            Protocol::Tcp => &self.tcp,
            Protocol::Udp => &self.udp,
            Protocol::Sctp => &self.sctp,
        }
    }

    fn ranges_mut(&mut self, protocol: Protocol) -> &mut Vec<(u16, u16)> {
        match protocol {
            Protocol::Tcp => &mut self.tcp,
            Protocol::Udp => &mut self.udp,
            Protocol::Sctp => &mut self.sctp,
        }
    }

    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        self.ranges(protocol)
            .iter()
            .any(|(start, end)| (*start..=*end).contains(&port))
    }

    /// Adds `start` to `end` (both included; nothing when `start > end` or `start` is 0).
    pub fn add(&mut self, protocol: Protocol, start: u16, end: u16) {
        if start == 0 || start > end {
            return;
        }
        let ranges = self.ranges_mut(protocol);
        ranges.push((start, end));
        normalize(ranges);
    }

    /// Adds every port of `other`.
    pub fn add_all(&mut self, other: &PortSet) {
        for protocol in PROTOCOLS {
            let theirs = other.ranges(protocol);
            if theirs.is_empty() {
                continue;
            }
            let ranges = self.ranges_mut(protocol);
            ranges.extend_from_slice(theirs);
            normalize(ranges);
        }
    }

    /// The ports in both sets.
    pub fn intersection(&self, other: &PortSet) -> PortSet {
        let mut both = PortSet::default();
        for protocol in PROTOCOLS {
            let (a, b) = (self.ranges(protocol), other.ranges(protocol));
            let (mut i, mut j) = (0, 0);
            let out = both.ranges_mut(protocol);
            while let (Some(&(a_start, a_end)), Some(&(b_start, b_end))) = (a.get(i), b.get(j)) {
                let (start, end) = (a_start.max(b_start), a_end.min(b_end));
                if start <= end {
                    out.push((start, end));
                }
                if a_end < b_end {
                    i += 1;
                } else {
                    j += 1;
                }
            }
        }
        both
    }
}

/// Sorts and merges overlapping and adjacent ranges.
fn normalize(ranges: &mut Vec<(u16, u16)>) {
    ranges.sort_unstable();
    let mut merged: Vec<(u16, u16)> = Vec::with_capacity(ranges.len());
    for &(start, end) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if u32::from(start) <= u32::from(last.1) + 1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    *ranges = merged;
}

impl fmt::Display for PortSet {
    /// "every port", "no port", or "TCP 80, 443 and 8000–8080; UDP 53", "every TCP port".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_every() {
            return f.write_str("every port");
        }
        if self.is_empty() {
            return f.write_str("no port");
        }
        let mut first = true;
        for protocol in PROTOCOLS {
            let ranges = self.ranges(protocol);
            if ranges.is_empty() {
                continue;
            }
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            if ranges == [EVERY] {
                write!(f, "every {} port", protocol.as_str())?;
                continue;
            }
            write!(f, "{} ", protocol.as_str())?;
            for (index, (start, end)) in ranges.iter().enumerate() {
                if index > 0 {
                    f.write_str(if index + 1 == ranges.len() {
                        " and "
                    } else {
                        ", "
                    })?;
                }
                if start == end {
                    write!(f, "{start}")?;
                } else {
                    write!(f, "{start}–{end}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_when_they_overlap_or_touch_and_not_otherwise() {
        let mut set = PortSet::default();
        set.add(Protocol::Tcp, 8000, 8080);
        set.add(Protocol::Tcp, 80, 80);
        set.add(Protocol::Tcp, 8081, 8090);
        set.add(Protocol::Tcp, 8050, 8085);
        set.add(Protocol::Tcp, 443, 443);
        assert_eq!(set.tcp, vec![(80, 80), (443, 443), (8000, 8090)]);
        assert_eq!(set.to_string(), "TCP 80, 443 and 8000–8090");
        set.add(Protocol::Udp, 53, 53);
        assert_eq!(set.to_string(), "TCP 80, 443 and 8000–8090; UDP 53");
    }

    #[test]
    fn nothing_is_added_for_an_empty_or_zero_range() {
        let mut set = PortSet::default();
        set.add(Protocol::Tcp, 10, 9);
        set.add(Protocol::Tcp, 0, 5);
        assert!(set.is_empty());
        assert_eq!(set.to_string(), "no port");
    }

    #[test]
    fn intersection_keeps_only_ports_in_both() {
        let mut a = PortSet::default();
        a.add(Protocol::Tcp, 1, 100);
        a.add(Protocol::Tcp, 200, 300);
        a.add(Protocol::Udp, 53, 53);
        let mut b = PortSet::default();
        b.add(Protocol::Tcp, 50, 250);
        b.add(Protocol::Sctp, 1, 10);
        let both = a.intersection(&b);
        assert_eq!(both.tcp, vec![(50, 100), (200, 250)]);
        assert!(both.udp.is_empty() && both.sctp.is_empty());
        assert_eq!(PortSet::every().intersection(&a), a);
        assert!(a.intersection(&PortSet::default()).is_empty());
    }

    #[test]
    fn every_port_is_said_as_such() {
        assert_eq!(PortSet::every().to_string(), "every port");
        let mut tcp = PortSet::default();
        tcp.add(Protocol::Tcp, 1, 65535);
        assert_eq!(tcp.to_string(), "every TCP port");
        let mut all = tcp.clone();
        all.add_all(&PortSet::every());
        assert!(all.is_every());
        assert!(all.contains(Protocol::Sctp, 65535) && !tcp.contains(Protocol::Udp, 53));
    }
}
