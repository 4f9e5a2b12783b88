//! IPv4 and IPv6 CIDR blocks, parsed strictly with `std::net`.
//!
//! Kubernetes 1.34 still parses `ipBlock.cidr` "sloppily" (`netutils.ParseCIDRSloppy`: leading
//! zeros and host bits are accepted, host bits only with a warning). Its own stricter validation
//! (`StrictIPCIDRValidation`) refuses both, and a CIDR with host bits set such as `10.0.0.1/8`
//! means `10.0.0.0/8` — almost always not what the author meant. The portal writes new policies,
//! so it applies the strict rules now and suggests the network address instead.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An IP network: an address whose bits after `prefix_len` are all zero.
///
/// Serialized as its text form (`"10.0.0.0/8"`, `"fd00::/8"`), so it can sit in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cidr {
    network: IpAddr,
    prefix_len: u8,
}

/// Why a string is not an acceptable CIDR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    /// Not of the form `ADDRESS/PREFIX`.
    #[error(
        "must be a CIDR block such as 192.168.1.0/24 or 2001:db8::/64 (an IP address, '/', and a prefix length)"
    )]
    Syntax,
    /// The prefix length is larger than the address has bits.
    #[error("prefix length must be at most {max} for an {family} address")]
    PrefixTooLong {
        /// 32 or 128.
        max: u8,
        /// "IPv4" or "IPv6".
        family: &'static str,
    },
    /// Bits after the prefix are set, e.g. `10.0.0.1/8`.
    #[error("address has bits set after the prefix length (host bits); did you mean {suggestion}?")]
    HostBitsSet {
        /// The same block written with its network address.
        suggestion: String,
    },
}

impl Cidr {
    /// The network address.
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length (0–32 for IPv4, 0–128 for IPv6).
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// Whether both are IPv4 or both are IPv6.
    pub fn same_family(&self, other: &Cidr) -> bool {
        self.network.is_ipv4() == other.network.is_ipv4()
    }

    /// Whether every address of `other` is also in `self`.
    pub fn contains(&self, other: &Cidr) -> bool {
        self.same_family(other)
            && self.prefix_len <= other.prefix_len
            && mask(bits(other.network), self.prefix_len, width(self.network)) == bits(self.network)
    }

    /// Whether `other` lies inside `self` and is smaller, as Kubernetes requires of
    /// `ipBlock.except` entries ("must be a strict subset of `cidr`").
    pub fn strictly_contains(&self, other: &Cidr) -> bool {
        self.contains(other) && other.prefix_len > self.prefix_len
    }

    /// Whether `addr` lies in the block. An IPv4 address is never in an IPv6 block, nor the
    /// other way round (not even an IPv4-mapped IPv6 address).
    pub fn contains_addr(&self, addr: IpAddr) -> bool {
        self.network.is_ipv4() == addr.is_ipv4()
            && mask(bits(addr), self.prefix_len, width(self.network)) == bits(self.network)
    }

    /// Whether the two blocks share at least one address. CIDR blocks either nest or are
    /// disjoint, so this is containment one way or the other.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }
}

/// Address bits, IPv4 in the low 32 bits.
fn bits(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn width(addr: IpAddr) -> u8 {
    if addr.is_ipv4() { 32 } else { 128 }
}

/// Keeps the first `prefix_len` of `width` bits.
fn mask(value: u128, prefix_len: u8, width: u8) -> u128 {
    let host_bits = u32::from(width - prefix_len.min(width));
    if host_bits >= 128 {
        0
    } else {
        (value >> host_bits) << host_bits
    }
}

fn with_bits(like: IpAddr, value: u128) -> IpAddr {
    match like {
        // The value came from masking an IPv4 address, so it fits in 32 bits.
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(u32::try_from(value).unwrap_or(0))),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(value)),
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (address, prefix) = text.split_once('/').ok_or(CidrError::Syntax)?;
        // Digits only, no sign, no leading zero ("/08" is refused like Kubernetes' strict mode),
        // and short enough that parsing cannot overflow.
        let prefix_ok = !prefix.is_empty()
            && prefix.len() <= 3
            && prefix.bytes().all(|b| b.is_ascii_digit())
            && (prefix == "0" || !prefix.starts_with('0'));
        if !prefix_ok {
            return Err(CidrError::Syntax);
        }
        let prefix_len: u8 = prefix.parse().map_err(|_| CidrError::Syntax)?;
        // std refuses IPv4 leading zeros ("010.0.0.1"), zone ids and other sloppy forms.
        let address: IpAddr = address.parse().map_err(|_| CidrError::Syntax)?;
        let max = width(address);
        if prefix_len > max {
            return Err(CidrError::PrefixTooLong {
                max,
                family: if address.is_ipv4() { "IPv4" } else { "IPv6" },
            });
        }
        let network_bits = mask(bits(address), prefix_len, max);
        if network_bits != bits(address) {
            let suggestion = Cidr {
                network: with_bits(address, network_bits),
                prefix_len,
            };
            return Err(CidrError::HostBitsSet {
                suggestion: suggestion.to_string(),
            });
        }
        Ok(Cidr {
            network: address,
            prefix_len,
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
    }
}

impl TryFrom<String> for Cidr {
    type Error = CidrError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Cidr> for String {
    fn from(value: Cidr) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Cidr {
        text.parse().expect(text)
    }

    #[test]
    fn accepts_ipv4_and_ipv6_networks() {
        for ok in [
            "0.0.0.0/0",
            "10.0.0.0/8",
            "192.168.1.0/24",
            "203.0.113.10/32",
            "::/0",
            "2001:db8::/32",
            "fd00::1/128",
        ] {
            assert_eq!(ok.parse::<Cidr>().map(|c| c.to_string()), Ok(ok.to_owned()));
        }
    }

    #[test]
    fn refuses_malformed_text() {
        for bad in [
            "",
            "10.0.0.0",
            "10.0.0.0/",
            "/8",
            "10.0.0.0/8/8",
            "10.0.0.0/+8",
            "10.0.0.0/08",
            "10.0.0.0/ 8",
            "10.0.0/8",
            "010.0.0.0/8",
            "10.0.0.256/32",
            "fe80::1%eth0/64",
            "10.0.0.0/1000",
            "example.com/32",
        ] {
            assert_eq!(bad.parse::<Cidr>(), Err(CidrError::Syntax), "{bad:?}");
        }
    }

    #[test]
    fn refuses_prefix_longer_than_the_address() {
        assert!(matches!(
            "10.0.0.0/33".parse::<Cidr>(),
            Err(CidrError::PrefixTooLong { max: 32, .. })
        ));
        assert!(matches!(
            "2001:db8::/129".parse::<Cidr>(),
            Err(CidrError::PrefixTooLong { max: 128, .. })
        ));
    }

    #[test]
    fn refuses_host_bits_and_suggests_the_network() {
        assert_eq!(
            "10.0.0.1/8".parse::<Cidr>(),
            Err(CidrError::HostBitsSet {
                suggestion: "10.0.0.0/8".into()
            })
        );
        assert_eq!(
            "2001:db8::1/64".parse::<Cidr>(),
            Err(CidrError::HostBitsSet {
                suggestion: "2001:db8::/64".into()
            })
        );
        assert_eq!(
            "1.2.3.4/0".parse::<Cidr>(),
            Err(CidrError::HostBitsSet {
                suggestion: "0.0.0.0/0".into()
            })
        );
    }

    #[test]
    fn containment_and_overlap() {
        let big = cidr("10.0.0.0/8");
        assert!(big.contains(&cidr("10.1.0.0/16")));
        assert!(big.contains(&big));
        assert!(big.strictly_contains(&cidr("10.1.0.0/16")));
        assert!(!big.strictly_contains(&big));
        assert!(!big.contains(&cidr("11.0.0.0/16")));
        assert!(!cidr("10.1.0.0/16").contains(&big));
        assert!(cidr("10.1.0.0/16").overlaps(&big));
        assert!(!big.overlaps(&cidr("192.168.0.0/16")));
        // Families never mix, even for the all-zero networks.
        assert!(!cidr("0.0.0.0/0").contains(&cidr("::/0")));
        assert!(!cidr("::/0").overlaps(&cidr("10.0.0.0/8")));
        assert!(cidr("::/0").contains(&cidr("2001:db8::/32")));
    }

    #[test]
    fn contains_addresses_of_its_own_family_only() {
        let addr = |text: &str| text.parse::<IpAddr>().expect(text);
        assert!(cidr("10.0.0.0/8").contains_addr(addr("10.255.0.1")));
        assert!(!cidr("10.0.0.0/8").contains_addr(addr("11.0.0.1")));
        assert!(cidr("203.0.113.10/32").contains_addr(addr("203.0.113.10")));
        assert!(!cidr("203.0.113.10/32").contains_addr(addr("203.0.113.11")));
        assert!(cidr("0.0.0.0/0").contains_addr(addr("198.51.100.1")));
        assert!(!cidr("0.0.0.0/0").contains_addr(addr("2001:db8::1")));
        assert!(cidr("::/0").contains_addr(addr("2001:db8::1")));
        assert!(!cidr("::/0").contains_addr(addr("10.0.0.1")));
        assert!(cidr("2001:db8::/32").contains_addr(addr("2001:db8:ffff::1")));
        assert!(!cidr("2001:db8::/32").contains_addr(addr("2001:db9::1")));
        assert!(!cidr("10.0.0.0/8").contains_addr(addr("::ffff:10.0.0.1")));
    }

    #[test]
    fn serde_uses_the_text_form() {
        let parsed: Cidr = serde_json::from_str("\"10.96.0.0/12\"").expect("valid");
        assert_eq!(parsed, cidr("10.96.0.0/12"));
        assert_eq!(
            serde_json::to_string(&parsed).expect("serializes"),
            "\"10.96.0.0/12\""
        );
        assert!(serde_json::from_str::<Cidr>("\"10.96.0.1/12\"").is_err());
    }
}
