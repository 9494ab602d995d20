//! `proxy-frontend`: what every wire front end shares. **Rule: no wire
//! protocol.** Nothing here knows a message format, a socket or a JSON
//! shape; the PostgreSQL wire (`proxy-pg`), JSON-RPC (`proxy-rpc`) and any
//! later wire translate their protocol to these calls, so a feature both
//! wires offer is written once.
//!
//! Modules:
//! - `login`: how a role must log in (`pg.hba`, via `node::hba`) and
//!   opening its account key from the keystore.
//! - [`session`]: the Session API: plan and execute SQL text (reads,
//!   autocommit writes, role statements, settings), with the transaction
//!   block (`block`), prepared statements and result typing (`typing`),
//!   writes as signed txs (`submit`), role statements (`roles`), COPY rows
//!   as one tx (`copy_in`), settings (`settings`), temporary tables in
//!   the session's scratch database (`temp`), SQL-level cursors
//!   (`cursor`) and SQL-level prepared statements (`prepared`).
//! - [`types`]: declared result types and the text form of values
//!   (PostgreSQL's output and input functions), which every wire prints.
//! - [`catalog`]: the `pg_catalog` / `information_schema` model.
//! - [`error`]: [`FrontendError`], SQLSTATE + message + hint, which each
//!   wire maps to its own errors.

// Client bytes and SQL text must never panic the front end.
#![deny(clippy::string_slice, clippy::indexing_slicing)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod block;
pub mod catalog;
mod copy_in;
mod cursor;
pub mod error;
pub mod login;
mod prepared;
mod roles;
pub mod session;
mod settings;
mod submit;
mod temp;
pub mod types;
mod typing;

pub use error::{ErrorKind, FrontendError};
pub use session::{CancelFlag, Column, Reply, Session, Status};
pub use settings::SERVER_VERSION;
pub use submit::Committed;
pub use typing::Prepared;

use node::Node;
use node_core::crypto::SecretKey;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The front-end core of one node, shared by all its wires: it installs
/// the catalog model on the node's read connections once, logs roles in
/// and opens their sessions.
pub struct Frontend {
    node: Arc<Node>,
}

impl Frontend {
    /// Installs the catalog model ([`catalog::CatalogHooks`]) on `node`'s
    /// readers. Make one per node and hand it to every wire.
    pub fn new(node: Arc<Node>) -> Arc<Self> {
        let database = node.config().pg.database.clone();
        node.reader().set_hooks(Arc::new(catalog::CatalogHooks::new(database, node.admin_addresses().clone())));
        Arc::new(Frontend { node })
    }

    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// A session of `user`, whose key a login opened; `params` are the
    /// client's startup settings, `cancel` the flag its cancel request sets.
    pub fn session(
        &self,
        user: String,
        key: SecretKey,
        pid: i32,
        params: &BTreeMap<String, String>,
        cancel: Arc<CancelFlag>,
    ) -> Session {
        Session::new(self.node.clone(), user, key, pid, params, cancel)
    }
}
