//! `sqlmap`: PostgreSQL- or MySQL-dialect SQL in, plans with SQLite text out.
//!
//! Pure: no I/O, no clock, no threads, no randomness. [`plan`] parses a SQL
//! string with sqlparser's PostgreSQL dialect ([`plan_dialect`] with a
//! [`Dialect`] reads MySQL too) and returns one [`Plan`] per
//! statement: reads and writes carry SQLite text ready to execute, DDL
//! carries both a PostgreSQL-level description (types, keys) and the
//! SQLite `STRICT` table text, and transaction/session statements are
//! classified for the proxy.
//!
//! Modules, each owning one concept:
//! - [`plan`](crate::plan): the plan types, the entry point, dispatch, and
//!   planning of SELECT / INSERT / UPDATE / DELETE.
//! - `ddl`: CREATE TABLE, ALTER TABLE, DROP, CREATE/DROP INDEX.
//! - `comment`: COMMENT ON (tables, columns, indexes, constraints).
//! - `constraints`: the constraint names a rendered table declares.
//! - `access`: GRANT/REVOKE, row-level security and policies, and the
//!   rewrite that filters reads of tables with SELECT policies.
//! - `control`: BEGIN/COMMIT/ROLLBACK/savepoints, SET/SHOW/RESET, and the
//!   0A000 answer for statements that are not planned.
//! - `cursor`: DECLARE ... CURSOR, FETCH, MOVE (read from the tokens) and
//!   CLOSE, as session statements.
//! - `prepare`: PREPARE, EXECUTE and DEALLOCATE as session statements, and
//!   the read that computes an EXECUTE's arguments.
//! - `render`: the AST rewrite that makes sqlparser print SQLite.
//! - `colname`: PostgreSQL's names for unaliased result expressions.
//! - `determinism`: clock and random functions in writes and reads.
//! - `names`: identifier folding, schemas, system views, reserved names.
//! - [`numeric`]: exact decimals with PostgreSQL's rules (the `numeric`
//!   type's arithmetic, input, output and collation).
//! - `types`: PostgreSQL column types, OIDs, typmods, SQLite storage types.
//! - [`bitstring`], [`network`], [`systypes`]: the input, output and
//!   binary forms of `bit`/`varbit`, of `inet`/`cidr`/`macaddr`/`macaddr8`,
//!   and of `oid` and `"char"`.
//! - `schema`: the [`Schema`] a statement is planned against (column types).
//! - `error`: [`PlanError`] and source positions.
//! - `parse`: text to sqlparser trees, with a bound on nesting.
//! - `dialect`: the [`Dialect`]s sqlmap reads.
//! - `mysql`: MySQL text lowered to the trees PostgreSQL's parser gives,
//!   and the MySQL statements the front end answers ([`MySqlStmt`]).
//! - `params`: parameter type hints for the extended protocol (the column a
//!   `$n` is compared with or assigned to, casts, LIMIT).
//! - `admin`: `COPY ... FROM STDIN` and role statements, which the front
//!   ends carry out.
//! - `catalog`: reads of `pg_catalog.*` / `information_schema.*` and the
//!   PostgreSQL-only syntax catalog queries use.
//!
//! Planning never panics, whatever the text: it is judged inside the block
//! producer of every validator, where a panic would stop the chain.

#![deny(clippy::string_slice, clippy::indexing_slicing)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod access;
mod admin;
pub mod arrays;
pub mod bitstring;
mod catalog;
mod colname;
mod comment;
mod constraints;
mod control;
mod cursor;
mod ddl;
mod determinism;
mod dialect;
mod error;
mod mysql;
mod names;
pub mod network;
pub mod numeric;
mod params;
mod parse;
mod plan;
mod prepare;
mod render;
mod scalars;
mod schema;
mod schemas;
mod sequence;
pub mod systypes;
mod types;
mod usertype;
mod view;

pub use access::{bind_current_user, policy_expr, GrantPlan, PolicyCommand, PolicyPlan, Privilege};
pub use admin::{CopyFormat, CopyOutPlan, CopyPlan, RoleStmt};
pub use catalog::result_types;
pub use comment::CommentOn;
pub use constraints::{
    check_clauses, declared_constraints, generated_columns, table_checks, CheckClause, ConstraintKind,
    DeclaredConstraint, TableCheck,
};
pub use control::{SessionStmt, TxControl};
pub use cursor::{DeclareCursor, FetchCursor, FetchDirection};
pub use ddl::{ColumnDef, CreateTable, DdlPlan, OnCommit};
pub use dialect::Dialect;
pub use error::PlanError;
pub use mysql::{MySqlStmt, SetValue, ShowFilter, SystemVariable, VariableScope, LAST_INSERT_ID_SETTING};
pub use names::{mysql_relation, qualify, relation_schema};
pub use params::{param_hints, param_hints_dialect, result_hints, result_hints_in, ParamHint};
pub use plan::{
    plan, plan_dialect, plan_in, plan_with_text, plan_with_text_dialect, plan_with_text_in, Plan, ReadPlan, WriteKind,
    WritePlan,
};
pub use prepare::{assignable, execute_arguments, ArgumentType, ExecuteArgument, ExecuteStatement, PrepareStatement};
pub use render::parse_bool;
pub use schema::{NoSchema, Schema, TypesMayGrow};
pub use schemas::{SchemaGrant, SchemaPrivilege, BUILTIN_SCHEMAS};
pub use sequence::{
    column_sequence_name, regclass_text, relation_from_text, CreateSequence, SeqType, SequenceGrant, SequenceOptions,
};
pub use types::{ArrayOf, PgType, NUMERIC_COLLATION};
pub use usertype::{
    add_label, display_name, enum_key, enum_labels, lookup as lookup_user_type, DomainCheck, DomainDef, LabelPosition,
    TypePlan, UserType, UserTypeKind, ENUM_KEY_PREFIX, LABELS_MAX,
};
pub use view::{view_query, CreateView};
