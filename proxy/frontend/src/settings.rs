//! Session settings: their defaults, `SET`, `SHOW`, `RESET`, and which of
//! them a client is told about whenever they change.

use crate::error::FrontendError;
use crate::session::{Column, Reply, Session};
use crate::types::{self, ColumnType};
use node_core::value::Value;
use sqlmap::SessionStmt;
use std::collections::BTreeMap;

pub const SERVER_VERSION: &str = "16.4";

/// The settings a session starts with: the server's, then the client's
/// startup parameters.
pub(crate) fn defaults(user: &str, params: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut s = BTreeMap::new();
    for (k, v) in [
        ("server_version", SERVER_VERSION),
        ("server_version_num", "160004"),
        ("server_encoding", "UTF8"),
        ("client_encoding", "UTF8"),
        ("datestyle", "ISO, MDY"),
        ("timezone", "UTC"),
        ("intervalstyle", "postgres"),
        ("integer_datetimes", "on"),
        ("standard_conforming_strings", "on"),
        ("application_name", ""),
        ("search_path", "\"$user\", public"),
        ("transaction_isolation", "serializable"),
        ("default_transaction_isolation", "serializable"),
        ("transaction_read_only", "off"),
        ("default_transaction_read_only", "off"),
        ("extra_float_digits", "1"),
        ("max_identifier_length", "63"),
        ("statement_timeout", "0"),
        ("lock_timeout", "0"),
        ("lc_collate", "C"),
        ("lc_ctype", "C"),
        ("in_hot_standby", "off"),
        ("bytea_output", "hex"),
    ] {
        s.insert(k.to_string(), v.to_string());
    }
    s.insert("session_authorization".into(), user.to_string());
    s.insert("is_superuser".into(), if user == "admin" { "on" } else { "off" }.into());
    for (k, v) in params {
        let k = k.to_ascii_lowercase();
        if !matches!(k.as_str(), "user" | "database" | "options" | "replication") {
            s.insert(k, v.clone());
        }
    }
    if let Some(options) = params.get("options") {
        for (k, v) in startup_options(options) {
            // What no SET may change, no startup option changes either.
            if !FIXED.contains(&k.as_str()) {
                s.insert(k, v);
            }
        }
    }
    if let Some(default) = s.get("default_transaction_read_only").cloned() {
        s.insert("transaction_read_only".into(), default);
    }
    s
}

/// Why rowchain cannot follow `search_path` (`None`: it can). Unqualified
/// names mean `public` (after the catalogs and the session's temporary
/// tables), so a path must reach `public` before any other schema; a
/// schema named after the role (`"$user"`) is not looked in. Every other
/// statement of a session whose startup `options` set such a path fails
/// with the same error ([`Session::plan`]), so nothing is written where
/// the client did not mean it.
pub(crate) fn search_path_problem(value: &str) -> Option<FrontendError> {
    for entry in value.split(',') {
        let entry = entry.trim();
        let name = match entry.strip_prefix('"').and_then(|e| e.strip_suffix('"')) {
            Some(quoted) => quoted.replace("\"\"", "\""),
            None => entry.to_lowercase(),
        };
        match name.as_str() {
            "public" => return None,
            "" | "$user" | "pg_catalog" | "pg_temp" => continue,
            other => {
                return Some(
                    FrontendError::new(
                        "0A000",
                        format!("search_path with schema \"{other}\" before public is not supported"),
                    )
                    .hint(format!("qualify names with their schema ({other}.table); unqualified names mean public")),
                )
            }
        }
    }
    None
}

/// Settings that are the server's, not the session's.
const FIXED: [&str; 5] =
    ["server_version", "server_encoding", "integer_datetimes", "is_superuser", "session_authorization"];

/// The settings of the startup packet's `options` (libpq's `options=`,
/// `PGOPTIONS`): command-line switches `-c name=value` (also `-cname=value`)
/// and `--name=value`, separated by blanks, where `\` takes the next
/// character as it is (a blank inside a value). Names are lowercased with
/// `-` read as `_`, as PostgreSQL reads them; other switches are ignored.
pub(crate) fn startup_options(options: &str) -> Vec<(String, String)> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = options.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.extend(chars.next()),
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut out = Vec::new();
    let mut words = words.into_iter();
    while let Some(w) = words.next() {
        let assignment = if w == "-c" {
            words.next()
        } else {
            w.strip_prefix("-c").or_else(|| w.strip_prefix("--")).map(str::to_string)
        };
        if let Some((name, value)) = assignment.as_deref().and_then(|a| a.split_once('=')) {
            out.push((name.to_ascii_lowercase().replace('-', "_"), value.to_string()));
        }
    }
    out
}

/// Whether a boolean setting's text is on, as PostgreSQL reads it.
fn is_on(value: Option<&String>) -> bool {
    value.and_then(|v| sqlmap::parse_bool(v.trim())).unwrap_or(false)
}

/// Settings PostgreSQL reports to the client whenever they change.
const REPORTED: [&str; 11] = [
    "server_version",
    "server_encoding",
    "client_encoding",
    "application_name",
    "datestyle",
    "timezone",
    "intervalstyle",
    "integer_datetimes",
    "standard_conforming_strings",
    "is_superuser",
    "session_authorization",
];

fn reported_name(k: &str) -> &str {
    match k {
        "datestyle" => "DateStyle",
        "timezone" => "TimeZone",
        "intervalstyle" => "IntervalStyle",
        other => other,
    }
}

impl Session {
    /// The reported settings and their values, as a client is told them at startup.
    pub fn reported_settings(&self) -> Vec<(String, String)> {
        REPORTED
            .iter()
            .map(|k| (reported_name(k).to_string(), self.settings.get(*k).cloned().unwrap_or_default()))
            .collect()
    }

    /// The reported settings the statements since the last call changed.
    pub fn take_changed_settings(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.changed)
    }

    pub(crate) fn session_statement(&mut self, s: SessionStmt) -> Result<Reply, FrontendError> {
        match s {
            SessionStmt::Set { name, value } => self.set(name, value),
            SessionStmt::Show(name) => self.show(&name),
            SessionStmt::Reset(name) => {
                let defaults = defaults(&self.user, &BTreeMap::new());
                match name {
                    None => self.settings = defaults,
                    Some(n) => {
                        let n = n.to_ascii_lowercase();
                        match defaults.get(&n) {
                            Some(v) => self.settings.insert(n, v.clone()),
                            None => self.settings.remove(&n),
                        };
                    }
                }
                Ok(Reply::Tag("RESET".into()))
            }
            SessionStmt::SetTransaction { read_only, session } => {
                match (read_only, session) {
                    (Some(read_only), true) => {
                        let value = if read_only { "on" } else { "off" };
                        self.set("default_transaction_read_only".into(), value.into())?;
                    }
                    (Some(read_only), false) => self.set_transaction_read_only(read_only)?,
                    (None, _) => {}
                }
                Ok(Reply::Tag("SET".into()))
            }
            // Constraints are always checked at once (see the statement's
            // docs): nothing to switch. Outside a block PostgreSQL also
            // warns (25P01); the front end has no way to send a warning.
            SessionStmt::SetConstraints { .. } => Ok(Reply::Tag("SET CONSTRAINTS".into())),
            SessionStmt::Maintenance => Ok(Reply::Tag("VACUUM".into())),
            // `Session::execute` runs cursor statements itself.
            SessionStmt::DeclareCursor(_) | SessionStmt::Fetch(_) | SessionStmt::CloseCursor(_) => {
                Err(FrontendError::internal("a cursor statement reached the settings"))
            }
            // And prepared-statement statements.
            SessionStmt::Prepare(_) | SessionStmt::Execute(_) | SessionStmt::Deallocate(_) => {
                Err(FrontendError::internal("a prepared-statement statement reached the settings"))
            }
        }
    }

    fn set(&mut self, name: String, value: String) -> Result<Reply, FrontendError> {
        let name = name.to_ascii_lowercase();
        let value = value.trim_matches('\'').to_string();
        if name == "search_path" {
            if let Some(problem) = search_path_problem(&value) {
                return Err(problem);
            }
        }
        match name.as_str() {
            "client_encoding" if !matches!(value.to_ascii_uppercase().as_str(), "UTF8" | "UTF-8" | "UNICODE") => {
                return Err(FrontendError::new(
                    "22023",
                    format!("invalid value for parameter \"client_encoding\": \"{value}\""),
                )
                .hint("rowchain speaks UTF8 only"));
            }
            n if FIXED.contains(&n) => {
                return Err(FrontendError::new("55P02", format!("parameter \"{name}\" cannot be changed")));
            }
            _ => {}
        }
        if REPORTED.contains(&name.as_str()) {
            self.changed.push((reported_name(&name).to_string(), value.clone()));
        }
        // Outside a transaction block, the next transaction's mode is the default.
        if name == "default_transaction_read_only" && self.block.is_none() {
            self.settings.insert("transaction_read_only".into(), value.clone());
        }
        self.settings.insert(name, value);
        Ok(Reply::Tag("SET".into()))
    }

    /// Whether the statement about to run is in a read-only transaction:
    /// the block's mode, else the session's default.
    pub(crate) fn read_only(&self) -> bool {
        let key = if self.block.is_some() { "transaction_read_only" } else { "default_transaction_read_only" };
        is_on(self.settings.get(key))
    }

    /// `SET TRANSACTION READ ONLY | READ WRITE`, or BEGIN's mode: the
    /// block's access mode (outside a block, PostgreSQL only warns).
    pub(crate) fn set_transaction_read_only(&mut self, read_only: bool) -> Result<(), FrontendError> {
        if self.block.is_some() {
            self.settings.insert("transaction_read_only".into(), if read_only { "on" } else { "off" }.into());
        }
        Ok(())
    }

    /// A transaction block began or ended: its mode is the default again.
    pub(crate) fn reset_transaction_read_only(&mut self) {
        let default = self.settings.get("default_transaction_read_only").cloned().unwrap_or_else(|| "off".into());
        self.settings.insert("transaction_read_only".into(), default);
    }

    /// 25006 for a chain write (`plan`) in a read-only transaction.
    /// Temporary tables may be written (as in PostgreSQL), so their
    /// statements are never checked.
    pub(crate) fn check_writable(&self, plan: &sqlmap::Plan) -> Result<(), FrontendError> {
        if self.read_only() {
            let what = crate::submit::command(plan);
            return Err(FrontendError::new("25006", format!("cannot execute {what} in a read-only transaction")));
        }
        Ok(())
    }

    fn show(&mut self, name: &str) -> Result<Reply, FrontendError> {
        let text = |n: &str| Column { name: n.into(), ty: ColumnType::plain(types::OID_TEXT) };
        let name = name.to_ascii_lowercase();
        if name == "all" {
            let rows = self
                .settings
                .iter()
                .map(|(k, v)| vec![Value::Text(k.clone()), Value::Text(v.clone()), Value::Text(String::new())])
                .collect();
            return Ok(Reply::Rows {
                columns: vec![text("name"), text("setting"), text("description")],
                rows,
                tag: "SHOW".into(),
            });
        }
        let key = match name.as_str() {
            "transaction isolation level" | "transaction_isolation" => "transaction_isolation",
            n => n,
        };
        let Some(v) = self.settings.get(key) else {
            return Err(FrontendError::new("42704", format!("unrecognized configuration parameter \"{name}\"")));
        };
        Ok(Reply::Rows { columns: vec![text(key)], rows: vec![vec![Value::Text(v.clone())]], tag: "SHOW".into() })
    }
}
