//! Which authentication a PostgreSQL-wire login must pass: `pg.hba` in
//! `rowchain.toml`, PostgreSQL's `pg_hba.conf` in TOML. The first rule whose
//! role and client address match decides; no match refuses the login.
//!
//! ```toml
//! [[pg.hba]]
//! role = "reporting"          # a role name, or "all"
//! address = "127.0.0.1/32"    # an address, a CIDR block, or "all"
//! method = "trust"            # trust | password | md5 | scram-sha-256 | reject
//! ```
//!
//! `trust` and `md5` let the node sign as the role without being handed a
//! secret that opens the role's key, so for roles those rules can admit the
//! keystore keeps a second copy of the key sealed under the node's custody
//! key (see `keystore`). `scram-sha-256` and `password` open the key with the
//! role's password and need no such copy.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Any client the rule matches is the role, with no password.
    Trust,
    /// The password in clear text (use it over TLS only).
    Password,
    /// PostgreSQL's MD5 challenge; a role whose password was set before an
    /// md5 rule admitted it has no MD5 secret and is asked for SCRAM instead,
    /// as PostgreSQL does.
    Md5,
    #[serde(rename = "scram-sha-256")]
    ScramSha256,
    /// Refuse the login.
    Reject,
}

impl Method {
    /// The node opens the role's key by itself (not with a client's secret).
    pub fn needs_custody(self) -> bool {
        matches!(self, Method::Trust | Method::Md5)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default = "all")]
    pub role: String,
    #[serde(default = "all")]
    pub address: String,
    pub method: Method,
}

fn all() -> String {
    "all".into()
}

impl Rule {
    pub fn new(role: &str, address: &str, method: Method) -> Self {
        Rule { role: role.into(), address: address.into(), method }
    }

    /// Checks the address; called when the config is read.
    pub fn validate(&self) -> Result<(), String> {
        if self.role.is_empty() {
            return Err("pg.hba: role must not be empty (use \"all\")".into());
        }
        parse_address(&self.address).map(|_| ())
    }

    fn matches(&self, role: &str, ip: IpAddr) -> bool {
        (self.role == "all" || self.role == role)
            && match parse_address(&self.address) {
                Ok(Address::All) => true,
                Ok(Address::Block(net, bits)) => in_block(ip, net, bits),
                Err(_) => false,
            }
    }
}

/// The rules PostgreSQL-wire logins get when `pg.hba` is not set.
pub fn default_rules() -> Vec<Rule> {
    vec![Rule::new("all", "all", Method::ScramSha256)]
}

/// The method the first matching rule names, or `None` if none matches.
pub fn decide(rules: &[Rule], role: &str, ip: IpAddr) -> Option<Method> {
    rules.iter().find(|r| r.matches(role, ip)).map(|r| r.method)
}

/// Whether any rule could admit `role` with a method that needs the node's
/// custody copy of its key (from any address).
pub fn needs_custody(rules: &[Rule], role: &str) -> bool {
    rules.iter().any(|r| (r.role == "all" || r.role == role) && r.method.needs_custody())
}

/// What the keystore must keep for `role` so every rule that could admit it
/// can open its key.
pub fn keep(rules: &[Rule], role: &str) -> crate::keystore::Keep {
    crate::keystore::Keep { custody: needs_custody(rules, role), md5: admits_md5(rules, role), mysql_native: false }
}

/// Whether any rule could admit `role` with md5.
pub fn admits_md5(rules: &[Rule], role: &str) -> bool {
    rules.iter().any(|r| (r.role == "all" || r.role == role) && r.method == Method::Md5)
}

enum Address {
    All,
    Block(IpAddr, u8),
}

fn parse_address(s: &str) -> Result<Address, String> {
    if s == "all" {
        return Ok(Address::All);
    }
    let bad = || format!("pg.hba: address \"{s}\" is not \"all\", an IP address or a CIDR block");
    let (ip, bits) = match s.split_once('/') {
        Some((ip, bits)) => (ip, Some(bits.parse::<u8>().map_err(|_| bad())?)),
        None => (s, None),
    };
    let ip: IpAddr = ip.parse().map_err(|_| bad())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    if bits > max {
        return Err(bad());
    }
    Ok(Address::Block(ip, bits))
}

fn in_block(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    // An IPv4 client on an IPv6 socket arrives as ::ffff:a.b.c.d.
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => prefix_eq(&a.octets(), &n.octets(), bits),
        (IpAddr::V6(a), IpAddr::V6(n)) => prefix_eq(&a.octets(), &n.octets(), bits),
        _ => false,
    }
}

/// Whether the first `bits` bits of `a` and `b` agree; `false` when either is
/// shorter than that.
fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let full = usize::from(bits / 8);
    let rest = bits % 8;
    let (Some(a_full), Some(b_full)) = (a.get(..full), b.get(..full)) else {
        return false;
    };
    a_full == b_full
        && (rest == 0
            || match (a.get(full), b.get(full)) {
                (Some(x), Some(y)) => (x ^ y) >> (8 - rest) == 0,
                _ => false,
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn first_matching_rule_decides() {
        let rules = vec![
            Rule::new("postgres", "127.0.0.1", Method::Trust),
            Rule::new("all", "10.1.0.0/16", Method::Reject),
            Rule::new("md5_user", "all", Method::Md5),
            Rule::new("all", "::1/128", Method::Password),
            Rule::new("all", "0.0.0.0/0", Method::ScramSha256),
        ];
        assert_eq!(decide(&rules, "postgres", ip("127.0.0.1")), Some(Method::Trust));
        assert_eq!(decide(&rules, "postgres", ip("::ffff:127.0.0.1")), Some(Method::Trust));
        assert_eq!(decide(&rules, "postgres", ip("127.0.0.2")), Some(Method::ScramSha256));
        assert_eq!(decide(&rules, "md5_user", ip("10.1.200.3")), Some(Method::Reject));
        assert_eq!(decide(&rules, "md5_user", ip("10.2.0.1")), Some(Method::Md5));
        assert_eq!(decide(&rules, "alice", ip("::1")), Some(Method::Password));
        assert_eq!(decide(&rules, "alice", ip("fe80::1")), None);
        assert!(needs_custody(&rules, "postgres") && needs_custody(&rules, "md5_user"));
        assert!(!needs_custody(&rules, "alice"));
        assert!(admits_md5(&rules, "md5_user") && !admits_md5(&rules, "postgres"));
    }

    #[test]
    fn cidr_blocks_compare_only_their_prefix() {
        assert!(in_block(ip("192.168.5.77"), ip("192.168.4.0"), 23));
        assert!(!in_block(ip("192.168.6.1"), ip("192.168.4.0"), 23));
        assert!(in_block(ip("1.2.3.4"), ip("0.0.0.0"), 0));
        assert!(in_block(ip("2001:db8::9"), ip("2001:db8::"), 32));
        assert!(!in_block(ip("2001:db9::9"), ip("2001:db8::"), 32));
        assert!(!in_block(ip("127.0.0.1"), ip("::1"), 128));
    }

    #[test]
    fn prefixes_longer_than_the_address_do_not_match() {
        assert!(prefix_eq(&[10, 1], &[10, 1], 16));
        assert!(prefix_eq(&[10, 0b1010_0000], &[10, 0b1011_1111], 11));
        assert!(!prefix_eq(&[10, 0b1010_0000], &[10, 0b1011_1111], 12));
        assert!(!prefix_eq(&[10, 1], &[10, 1], 17));
        assert!(!prefix_eq(&[10, 1], &[10, 1], 24));
        assert!(!prefix_eq(&[10, 1, 2], &[10, 1], 20));
    }

    #[test]
    fn bad_addresses_are_refused_when_the_config_is_read() {
        for bad in ["localhost", "10.0.0.0/33", "::1/129", "1.2.3.4/x", ""] {
            assert!(Rule::new("all", bad, Method::Trust).validate().is_err(), "{bad}");
        }
        assert!(Rule::new("", "all", Method::Trust).validate().is_err());
        assert!(Rule::new("all", "10.0.0.0/8", Method::Trust).validate().is_ok());
    }
}
