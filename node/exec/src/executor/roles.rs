//! Role payloads: create, set password (a no-op on chain), drop.

use super::*;

impl Executor {
    /// Role administration: genesis roles (superusers) and roles with
    /// CREATEROLE create and drop roles (never a genesis role); a role may
    /// change its own password.
    pub(super) fn run_role(
        &mut self,
        op: &RoleOp,
        signer: &crypto::PublicKey,
        changes: &mut Changes,
    ) -> Result<StatementResult, SqlError> {
        self.catalog_touched = true;
        let superuser = self.superusers.contains(signer);
        let create_role = superuser || self.create_roles.contains(signer);
        let signer_name = self.accounts.get(signer).cloned().unwrap_or_default();
        let find = |ex: &Self, name: &str| ex.accounts.iter().find(|(_, n)| *n == name).map(|(k, _)| *k);
        let internal = |e: ExecError| SqlError::new("XX000", e.to_string());
        match op {
            RoleOp::Create { name, public_key, create_role: with_create_role } => {
                if !create_role {
                    return Err(SqlError::new("42501", "permission denied to create role"));
                }
                if name.is_empty() || name.len() > 63 || name.starts_with("pg_") || is_internal(name) {
                    return Err(SqlError::new("42939", format!("role name \"{name}\" is reserved or invalid")));
                }
                if public_key.suite() != self.suite {
                    return Err(SqlError::new(
                        "22023",
                        format!(
                            "role \"{name}\" has a key of the {} suite, and this chain's suite is {}",
                            public_key.suite(),
                            self.suite
                        ),
                    ));
                }
                if find(self, name).is_some() || self.accounts.contains_key(public_key) {
                    return Err(SqlError::new("42710", format!("role \"{name}\" already exists")));
                }
                self.add_account(name, public_key, *with_create_role, changes).map_err(internal)?;
            }
            RoleOp::SetPassword { name } => {
                if find(self, name).is_none() {
                    return Err(SqlError::new("42704", format!("role \"{name}\" does not exist")));
                }
                if !superuser && signer_name != *name {
                    return Err(SqlError::new("42501", "permission denied to alter role"));
                }
            }
            RoleOp::Drop { name } => {
                if !create_role {
                    return Err(SqlError::new("42501", "permission denied to drop role"));
                }
                let Some(key) = find(self, name) else {
                    return Err(SqlError::new("42704", format!("role \"{name}\" does not exist")));
                };
                self.drop_role(name, key, signer, superuser, changes)?;
            }
        }
        Ok(StatementResult::default())
    }

    /// DROP ROLE of `key`, once the signer may drop roles at all: never
    /// oneself, a genesis role, or (unless an admin) a CREATEROLE role; never
    /// a role that owns a table or is named by its grants or policies.
    fn drop_role(
        &mut self,
        name: &str,
        key: PublicKey,
        signer: &crypto::PublicKey,
        superuser: bool,
        changes: &mut Changes,
    ) -> Result<(), SqlError> {
        if key == *signer {
            return Err(SqlError::new("55006", "current user cannot be dropped"));
        }
        if !superuser && self.create_roles.contains(&key) {
            return Err(SqlError::new(
                "42501",
                format!("permission denied to drop role \"{name}\" (it has CREATEROLE; only admins drop it)"),
            ));
        }
        if self.superusers.contains(&key) {
            return Err(SqlError::new("42501", format!("permission denied to drop role \"{name}\" (a genesis role)")));
        }
        let address = key.address();
        self.no_dependents(name, &address)?;
        self.conn.execute("DELETE FROM __rc_accounts WHERE address = ?1", [&address]).map_err(|e| sql_error(&e))?;
        self.conn.execute("DELETE FROM __rc_role_attrs WHERE address = ?1", [&address]).map_err(|e| sql_error(&e))?;
        self.accounts.remove(&key);
        self.create_roles.remove(&key);
        changes.insert(self.suite.hash(&account_label(&address)), None);
        Ok(())
    }

    /// 2BP01 when a table is owned by the role, or names it in a grant or policy.
    fn no_dependents(&self, name: &str, address: &str) -> Result<(), SqlError> {
        let owned: Vec<&str> = self.catalog.values().filter(|t| t.owner == address).map(|t| t.name.as_str()).collect();
        if !owned.is_empty() {
            return Err(SqlError::new(
                "2BP01",
                format!(
                    "role \"{name}\" cannot be dropped because some objects depend on it (owner of table {})",
                    owned.join(", ")
                ),
            ));
        }
        let named = |t: &&TableMeta| {
            t.acl.iter().any(|g| g.grantee == address)
                || t.policies.iter().any(|p| p.roles.iter().any(|r| r == address))
        };
        let granted: Vec<&str> = self.catalog.values().filter(named).map(|t| t.name.as_str()).collect();
        if !granted.is_empty() {
            return Err(SqlError::new(
                "2BP01",
                format!(
                    "role \"{name}\" cannot be dropped because some objects depend on it (privileges or policies on table {})",
                    granted.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// A role's address by name; `None` is PUBLIC (the empty address).
    pub(super) fn role_address(&self, role: &Option<String>) -> Result<String, SqlError> {
        let Some(name) = role else { return Ok(String::new()) };
        match self.accounts.iter().find(|(_, n)| *n == name) {
            Some((key, _)) => Ok(key.address()),
            None => Err(SqlError::new("42704", format!("role \"{name}\" does not exist"))),
        }
    }
}
