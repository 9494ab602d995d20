//! Schemas: the namespaces relations live in. `public` and the system
//! schemas (`sqlmap::BUILTIN_SCHEMAS`) exist on every chain and have no
//! metadata; `CREATE SCHEMA` adds one with its owner, the USAGE and CREATE
//! privileges its owner granted, and its comment. A relation `t` of schema
//! `s` is the SQLite table `"s.t"` (`sqlmap::qualify`), so a schema's
//! relations are the catalog's names with the prefix `s.`.

use std::collections::BTreeMap;

use crate::codec::{DecodeError, Reader, Writer};
use crate::sqlerror::SqlError;

/// Schema privilege bits.
pub mod privilege {
    pub const USAGE: u8 = 1;
    pub const CREATE: u8 = 2;
}

/// What one grantee may do in a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaGrantMeta {
    /// The grantee's address; empty for PUBLIC.
    pub grantee: String,
    /// Bits of [`privilege`].
    pub privileges: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaMeta {
    pub name: String,
    /// The owner's address.
    pub owner: String,
    pub created_height: u64,
    /// Privileges the owner granted, one entry per grantee, sorted by grantee.
    pub acl: Vec<SchemaGrantMeta>,
    /// `COMMENT ON SCHEMA`.
    pub comment: Option<String>,
}

/// User schemas by name.
pub type Schemas = BTreeMap<String, SchemaMeta>;

impl SchemaMeta {
    pub fn new(name: String, owner: String, created_height: u64) -> SchemaMeta {
        SchemaMeta { name, owner, created_height, acl: Vec::new(), comment: None }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(64);
        w.u8(1).str(&self.name).str(&self.owner).u64(self.created_height).u32(self.acl.len() as u32);
        for g in &self.acl {
            w.str(&g.grantee).u8(g.privileges);
        }
        crate::catalog::optional(&mut w, &self.comment);
        w.finish()
    }

    pub fn decode(b: &[u8]) -> Result<SchemaMeta, DecodeError> {
        let mut r = Reader::new(b);
        let version = r.u8()?;
        if version != 1 {
            return Err(DecodeError::Version { what: "schema metadata", version });
        }
        let (name, owner, created_height) = (r.string()?, r.string()?, r.u64()?);
        let n = r.count("schema grant", 65_536, 5)?;
        let acl = (0..n)
            .map(|_| Ok(SchemaGrantMeta { grantee: r.string()?, privileges: r.u8()? }))
            .collect::<Result<_, DecodeError>>()?;
        let comment = crate::catalog::read_optional(&mut r)?;
        r.finish()?;
        Ok(SchemaMeta { name, owner, created_height, acl, comment })
    }

    /// The state-tree leaf label of this schema's metadata.
    pub fn label(&self) -> Vec<u8> {
        label(&self.name)
    }

    /// Whether `address` holds privilege `bit` here: the owner, or a grant
    /// to it or to PUBLIC. Admins are the caller's to add.
    pub fn has(&self, address: &str, bit: u8) -> bool {
        self.owner == address || granted(&self.acl, address, bit)
    }

    /// GRANT (or REVOKE) `bits` to (from) `grantee`.
    pub fn apply_grant(&mut self, grantee: &str, bits: u8, revoke: bool) {
        apply_grant(&mut self.acl, grantee, bits, revoke)
    }
}

/// Whether an ACL of privilege bits (a schema's, a sequence's) grants
/// `bit` to `address`, or to PUBLIC.
pub(crate) fn granted(acl: &[SchemaGrantMeta], address: &str, bit: u8) -> bool {
    acl.iter().any(|g| (g.grantee.is_empty() || g.grantee == address) && g.privileges & bit != 0)
}

/// GRANT (or REVOKE) `bits` to (from) `grantee` in an ACL of privilege
/// bits. It stays sorted and holds no empty entries, so equal rights
/// always encode alike.
pub(crate) fn apply_grant(acl: &mut Vec<SchemaGrantMeta>, grantee: &str, bits: u8, revoke: bool) {
    let (pos, mut g) = match acl.binary_search_by(|g| g.grantee.as_str().cmp(grantee)) {
        Ok(p) => (p, acl.remove(p)),
        Err(p) => (p, SchemaGrantMeta { grantee: grantee.to_string(), privileges: 0 }),
    };
    if revoke {
        g.privileges &= !bits;
    } else {
        g.privileges |= bits;
    }
    if g.privileges != 0 {
        acl.insert(pos, g);
    }
}

/// The leaf label of schema `name`'s metadata.
pub fn label(name: &str) -> Vec<u8> {
    [b"s".as_slice(), name.as_bytes()].concat()
}

/// PostgreSQL's error for a schema that is not there.
pub fn missing(name: &str) -> SqlError {
    SqlError::new("3F000", format!("schema \"{name}\" does not exist"))
}

/// Whether `name` is a schema: a built-in one or one of `schemas`.
pub fn exists(schemas: &Schemas, name: &str) -> bool {
    sqlmap::BUILTIN_SCHEMAS.contains(&name) || schemas.contains_key(name)
}

/// 42501 unless `address` (an admin if `admin`) may create relations in
/// `schema`: anyone in `public`, as before schemas existed; the owner, an
/// admin or a CREATE grantee in a user schema; nobody in a system schema.
pub fn may_create_in(schemas: &Schemas, schema: &str, address: &str, admin: bool) -> Result<(), SqlError> {
    if schema == "public" {
        return Ok(());
    }
    let denied = || SqlError::new("42501", format!("permission denied for schema {schema}"));
    match schemas.get(schema) {
        Some(meta) if admin || meta.has(address, privilege::CREATE) => Ok(()),
        Some(_) => Err(denied()),
        None if sqlmap::BUILTIN_SCHEMAS.contains(&schema) => Err(denied()),
        None => Err(missing(schema)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_and_truncation_is_an_error() {
        let mut meta = SchemaMeta::new("sales".into(), "abc".into(), 7);
        meta.apply_grant("", privilege::USAGE, false);
        meta.apply_grant("def", privilege::CREATE | privilege::USAGE, false);
        meta.comment = Some("Umsätze".into());
        let bytes = meta.encode();
        assert_eq!(SchemaMeta::decode(&bytes).unwrap(), meta);
        for cut in 0..bytes.len() {
            let prefix: Vec<u8> = bytes.iter().take(cut).copied().collect();
            assert!(SchemaMeta::decode(&prefix).is_err(), "decoded {cut} of {} bytes", bytes.len());
        }
    }

    #[test]
    fn grants_stay_sorted_and_revoke_removes_empty_entries() {
        let mut meta = SchemaMeta::new("s".into(), "owner".into(), 1);
        meta.apply_grant("b", privilege::USAGE, false);
        meta.apply_grant("a", privilege::CREATE, false);
        assert_eq!(meta.acl.iter().map(|g| g.grantee.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert!(meta.has("a", privilege::CREATE) && !meta.has("a", privilege::USAGE));
        assert!(meta.has("owner", privilege::CREATE));
        meta.apply_grant("a", privilege::CREATE, true);
        assert_eq!(meta.acl.len(), 1);
    }

    #[test]
    fn who_may_create_where() {
        let mut schemas = Schemas::new();
        schemas.insert("s".into(), SchemaMeta::new("s".into(), "owner".into(), 1));
        assert!(may_create_in(&schemas, "public", "anyone", false).is_ok());
        assert!(may_create_in(&schemas, "s", "owner", false).is_ok());
        assert!(may_create_in(&schemas, "s", "admin", true).is_ok());
        assert_eq!(may_create_in(&schemas, "s", "anyone", false).unwrap_err().sqlstate, "42501");
        assert_eq!(may_create_in(&schemas, "nope", "owner", true).unwrap_err().sqlstate, "3F000");
        assert_eq!(may_create_in(&schemas, "pg_catalog", "admin", true).unwrap_err().sqlstate, "42501");
    }
}
