//! Which mail servers a mailbox check may connect to. The check runs on our server at an
//! address the person types, so without a rule it could reach (and, by its answers,
//! map) the internal network: loopback, private, link-local and other non-public
//! addresses are refused after the name is resolved, and the connection goes only to
//! the addresses that were checked (a second lookup could answer differently).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::LazyLock;

use ipnet::IpNet;

use crate::server::config::{Config, DEFAULT_IMAP_PORTS};

/// The operator's rule: `IMAP_ALLOW_PRIVATE` and `IMAP_PORTS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapTargets {
    /// Allow non-public addresses (a company mail server on the local network, tests).
    pub allow_private: bool,
    /// Ports a mailbox may use; `None` lets any port through (tests only: the
    /// environment always gives a list, by default 143 and 993).
    pub ports: Option<Vec<u16>>,
}

impl Default for ImapTargets {
    fn default() -> ImapTargets {
        ImapTargets { allow_private: false, ports: Some(DEFAULT_IMAP_PORTS.to_vec()) }
    }
}

impl ImapTargets {
    pub fn from_config(config: &Config) -> ImapTargets {
        ImapTargets { allow_private: config.imap_allow_private, ports: config.imap_ports.clone() }
    }

    pub fn allows_port(&self, port: u16) -> bool {
        self.ports.as_ref().is_none_or(|ports| ports.contains(&port))
    }

    pub fn allows_address(&self, address: IpAddr) -> bool {
        self.allow_private || is_public(address)
    }

    /// The resolved addresses, all allowed, or None when any of them is not (a name that
    /// resolves to a public and a private address is refused as a whole).
    pub fn checked(&self, resolved: Vec<SocketAddr>) -> Option<Vec<SocketAddr>> {
        (!resolved.is_empty() && resolved.iter().all(|a| self.allows_address(a.ip()))).then_some(resolved)
    }

    /// Text for the port field, naming the allowed ports.
    pub fn port_hint(&self) -> String {
        match &self.ports {
            Some(ports) => {
                let names: Vec<String> = ports.iter().map(u16::to_string).collect();
                format!("This server connects to mail servers on port {} only.", names.join(" or "))
            }
            None => String::new(),
        }
    }
}

/// Blocks that are not public unicast internet addresses (IANA special-purpose
/// registries), with the IPv6 transition blocks that can carry an IPv4 address inside.
const NOT_PUBLIC_BLOCKS: [&str; 26] = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
];

/// The blocks, parsed (a unit test checks that every one parses).
static NOT_PUBLIC: LazyLock<Vec<IpNet>> = LazyLock::new(|| NOT_PUBLIC_BLOCKS.iter().filter_map(|net| net.parse().ok()).collect());

/// Whether an address is a public unicast one. IPv4-mapped IPv6 addresses are judged as
/// the IPv4 address they carry.
pub fn is_public(address: IpAddr) -> bool {
    let address = address.to_canonical();
    if address == IpAddr::V4(Ipv4Addr::BROADCAST) {
        return false;
    }
    !NOT_PUBLIC.iter().any(|net| net.contains(&address))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn every_block_parses() {
        assert_eq!(NOT_PUBLIC.len(), NOT_PUBLIC_BLOCKS.len());
    }

    #[test]
    fn internal_and_reserved_addresses_are_not_public() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::1",
        ] {
            assert!(!is_public(ip(address)), "{address} was taken as public");
        }
    }

    #[test]
    fn internet_addresses_are_public() {
        for address in ["93.184.215.14", "1.1.1.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_public(ip(address)), "{address} was refused");
        }
    }

    #[test]
    fn a_name_with_any_internal_address_is_refused_whole() {
        let rule = ImapTargets::default();
        let public: SocketAddr = "1.1.1.1:993".parse().unwrap();
        let internal: SocketAddr = "10.0.0.1:993".parse().unwrap();
        assert_eq!(rule.checked(vec![public]), Some(vec![public]));
        assert_eq!(rule.checked(vec![public, internal]), None);
        assert_eq!(rule.checked(vec![]), None);
        let open = ImapTargets { allow_private: true, ports: None };
        assert_eq!(open.checked(vec![internal]), Some(vec![internal]));
    }

    #[test]
    fn only_the_listed_ports_are_allowed() {
        let rule = ImapTargets::default();
        assert!(rule.allows_port(993) && rule.allows_port(143));
        assert!(!rule.allows_port(22) && !rule.allows_port(5432));
        assert!(ImapTargets { allow_private: false, ports: None }.allows_port(22));
    }
}
