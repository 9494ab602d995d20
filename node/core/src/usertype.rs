//! User-defined types (`CREATE TYPE ... AS ENUM`, `CREATE DOMAIN`) as chain
//! state: each type's metadata is one state-tree leaf (label `y` + its
//! SQLite-style name). How values of a type are stored and checked is
//! sqlmap's (`sqlmap::UserType`); this module keeps who owns a type and
//! its bytes.

use std::collections::BTreeMap;

use crate::codec::{DecodeError, Reader, Writer};
use crate::crypto::Suite;
use crate::sqlerror::SqlError;
use sqlmap::{DomainCheck, DomainDef, PgType, UserType, UserTypeKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeMeta {
    pub ty: UserType,
    /// The owner's address.
    pub owner: String,
    pub created_height: u64,
}

/// User-defined types by SQLite-style name.
pub type UserTypes = BTreeMap<String, TypeMeta>;

/// The OID a type created as `name` at `height` gets: in PostgreSQL's
/// user range and below 2^31, fixed for the type's life.
pub fn type_oid(suite: Suite, name: &str, height: u64) -> u32 {
    let hash = suite.hash_parts(&[b"type", name.as_bytes(), &height.to_be_bytes()]);
    let [a, b, c, d, ..] = hash;
    16384 + u32::from_be_bytes([a, b, c, d]) % (i32::MAX as u32 - 16384)
}

impl TypeMeta {
    pub fn new(suite: Suite, name: String, kind: UserTypeKind, owner: String, created_height: u64) -> TypeMeta {
        let oid = type_oid(suite, &name, created_height);
        TypeMeta { ty: UserType { name, oid, kind }, owner, created_height }
    }

    pub fn name(&self) -> &str {
        &self.ty.name
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(64);
        w.u8(1).str(&self.ty.name).str(&self.owner).u64(self.created_height).u32(self.ty.oid);
        match &self.ty.kind {
            UserTypeKind::Enum(labels) => {
                w.u8(1).u32(labels.len() as u32);
                for label in labels {
                    w.str(label);
                }
            }
            UserTypeKind::Domain(domain) => {
                w.u8(2).str(&domain.base.name()).u8(domain.not_null as u8);
                crate::catalog::optional(&mut w, &domain.default);
                w.u32(domain.checks.len() as u32);
                for check in &domain.checks {
                    w.str(&check.name).str(&check.expr);
                }
            }
        }
        w.finish()
    }

    pub fn decode(b: &[u8]) -> Result<TypeMeta, DecodeError> {
        let mut r = Reader::new(b);
        let version = r.u8()?;
        if version != 1 {
            return Err(DecodeError::Version { what: "type metadata", version });
        }
        let (name, owner, created_height, oid) = (r.string()?, r.string()?, r.u64()?, r.u32()?);
        let kind = match r.u8()? {
            1 => {
                let n = r.count("enum label", sqlmap::LABELS_MAX as u64, 4)?;
                UserTypeKind::Enum((0..n).map(|_| r.string()).collect::<Result<_, _>>()?)
            }
            2 => {
                let base = r.string()?;
                let base =
                    PgType::parse_name(&base).ok_or(DecodeError::Version { what: "domain base type", version: 0 })?;
                let not_null = match r.u8()? {
                    0 => false,
                    1 => true,
                    other => return Err(DecodeError::Version { what: "domain NOT NULL flag", version: other }),
                };
                let default = crate::catalog::read_optional(&mut r)?;
                let n = r.count("domain check", 65_536, 8)?;
                let checks = (0..n)
                    .map(|_| Ok(DomainCheck { name: r.string()?, expr: r.string()? }))
                    .collect::<Result<_, DecodeError>>()?;
                UserTypeKind::Domain(DomainDef { base, not_null, default, checks })
            }
            other => return Err(DecodeError::Version { what: "type kind", version: other }),
        };
        r.finish()?;
        Ok(TypeMeta { ty: UserType { name, oid, kind }, owner, created_height })
    }

    /// The state-tree leaf label of this type's metadata.
    pub fn label(&self) -> Vec<u8> {
        label(&self.ty.name)
    }

    pub fn is_domain(&self) -> bool {
        matches!(self.ty.kind, UserTypeKind::Domain(_))
    }
}

/// The state-tree leaf label of type `name`'s metadata.
pub fn label(name: &str) -> Vec<u8> {
    [b"y".as_slice(), name.as_bytes()].concat()
}

/// PostgreSQL's error for a type that is not there.
pub fn missing(name: &str) -> SqlError {
    SqlError::new("42704", format!("type \"{}\" does not exist", sqlmap::display_name(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<TypeMeta> {
        let labels = ["sad", "ok", "Zähler", ""].iter().map(|l| l.to_string()).collect();
        let domain = DomainDef {
            base: PgType::Numeric { precision: Some(10), scale: Some(2) },
            not_null: true,
            default: Some("5".into()),
            checks: vec![DomainCheck { name: "positive".into(), expr: "VALUE > 0".into() }],
        };
        vec![
            TypeMeta::new(Suite::Standard, "mood".into(), UserTypeKind::Enum(labels), "addr".into(), 7),
            TypeMeta::new(Suite::Standard, "s.money".into(), UserTypeKind::Domain(domain), "addr".into(), 9),
            TypeMeta::new(Suite::Standard, "e".into(), UserTypeKind::Enum(vec![]), "addr".into(), 1),
        ]
    }

    #[test]
    fn metadata_round_trips_and_short_input_fails() {
        for meta in samples() {
            let bytes = meta.encode();
            assert_eq!(TypeMeta::decode(&bytes).unwrap(), meta);
            for cut in 0..bytes.len() {
                assert!(TypeMeta::decode(bytes.get(..cut).unwrap()).is_err(), "decoded {cut} of {} bytes", bytes.len());
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(TypeMeta::decode(&longer).is_err());
        }
    }

    #[test]
    fn oids_are_in_the_user_range_and_fixed_by_name_and_height() {
        let oid = type_oid(Suite::Standard, "mood", 7);
        assert!((16384..i32::MAX as u32).contains(&oid));
        assert_eq!(oid, type_oid(Suite::Standard, "mood", 7));
        assert_ne!(oid, type_oid(Suite::Standard, "mood", 8));
    }
}
