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
    s
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
            SessionStmt::SetTransaction => Ok(Reply::Tag("SET".into())),
            SessionStmt::Maintenance => Ok(Reply::Tag("VACUUM".into())),
        }
    }

    fn set(&mut self, name: String, value: String) -> Result<Reply, FrontendError> {
        let name = name.to_ascii_lowercase();
        let value = value.trim_matches('\'').to_string();
        match name.as_str() {
            "client_encoding" if !matches!(value.to_ascii_uppercase().as_str(), "UTF8" | "UTF-8" | "UNICODE") => {
                return Err(FrontendError::new(
                    "22023",
                    format!("invalid value for parameter \"client_encoding\": \"{value}\""),
                )
                .hint("rowchain speaks UTF8 only"));
            }
            "server_version" | "server_encoding" | "integer_datetimes" | "is_superuser" | "session_authorization" => {
                return Err(FrontendError::new("55P02", format!("parameter \"{name}\" cannot be changed")));
            }
            _ => {}
        }
        if REPORTED.contains(&name.as_str()) {
            self.changed.push((reported_name(&name).to_string(), value.clone()));
        }
        self.settings.insert(name, value);
        Ok(Reply::Tag("SET".into()))
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
