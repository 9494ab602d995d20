//! Role statements: `CREATE ROLE ... PASSWORD`, `ALTER ROLE ... PASSWORD`,
//! `DROP ROLE`. Each is a chain tx; the role's account key is sealed in
//! (or removed from) this node's keystore beside it.

use crate::error::FrontendError;
use crate::session::{Reply, Session};
use crate::submit::receipt_error;
use node_core::tx::{Payload, RoleOp};
use sqlmap::RoleStmt;

impl Session {
    pub(crate) async fn role(&mut self, r: RoleStmt) -> Result<Reply, FrontendError> {
        match r {
            RoleStmt::Create { name, password, create_role, .. } => {
                let Some(password) = password else {
                    return Err(FrontendError::new("0A000", "CREATE ROLE needs a PASSWORD")
                        .hint("a rowchain role signs with its own key, sealed under its password"));
                };
                let node = self.node.clone();
                if node.keystore().contains(&name) {
                    return Err(FrontendError::new("42710", format!("role \"{name}\" already exists")));
                }
                let key = node.suite().generate_key();
                let keep = node.config().keep(&name);
                node.keystore().put(&name, &password, &key, keep).map_err(statement_error)?;
                let r = self
                    .submit(Payload::Role(RoleOp::Create { name: name.clone(), public_key: key.public(), create_role }))
                    .await;
                match r.map(|c| receipt_error(&c.receipt)) {
                    Ok(None) => Ok(Reply::Tag("CREATE ROLE".into())),
                    Ok(Some(e)) | Err(e) => {
                        let _ = node.keystore().remove(&name);
                        Err(e)
                    }
                }
            }
            RoleStmt::AlterPassword { name, password } => {
                if name != self.user {
                    return Err(FrontendError::new("0A000", "only a role itself can change its password").hint(
                        "its account key is sealed under the current password; sign in as the role and run ALTER ROLE",
                    ));
                }
                let c = self.submit(Payload::Role(RoleOp::SetPassword { name: name.clone() })).await?;
                if let Some(e) = receipt_error(&c.receipt) {
                    return Err(e);
                }
                let node = self.node.clone();
                let keep = node.config().keep(&name);
                node.keystore().put(&name, &password, &self.key, keep).map_err(statement_error)?;
                Ok(Reply::Tag("ALTER ROLE".into()))
            }
            RoleStmt::Drop { names, if_exists } => {
                for name in names {
                    let c = self.submit(Payload::Role(RoleOp::Drop { name: name.clone() })).await?;
                    match receipt_error(&c.receipt) {
                        Some(e) if e.sqlstate == "42704" && if_exists => continue,
                        Some(e) => return Err(e),
                        None => {
                            let _ = self.node.keystore().remove(&name);
                        }
                    }
                }
                Ok(Reply::Tag("DROP ROLE".into()))
            }
            _ => Err(FrontendError::new("0A000", "this role statement is not supported")),
        }
    }
}

/// A keystore failure while running a role statement: the statement's error.
fn statement_error(e: node::keystore::KeystoreError) -> FrontendError {
    FrontendError::new(e.sqlstate(), e.to_string())
}
