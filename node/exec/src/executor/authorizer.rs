//! The fence around user SQL: SQLite's authorizer denies ATTACH, PRAGMA,
//! extension loading, triggers, views and the internal `__rc_*` tables, and
//! records what each statement touches for the privilege checks.

use super::*;

pub fn is_internal(name: &str) -> bool {
    name.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("__rc_"))
}

pub(super) fn authorize(ctx: AuthContext<'_>) -> Authorization {
    use AuthAction as A;
    let table = match ctx.action {
        // ALTER TABLE ADD COLUMN runs a read-only quick_check of the table itself.
        A::Pragma { pragma_name, .. } if pragma_name.eq_ignore_ascii_case("quick_check") => {
            return Authorization::Allow
        }
        A::Attach { .. } | A::Detach { .. } | A::Pragma { .. } => return Authorization::Deny,
        A::CreateTrigger { .. } | A::CreateTempTrigger { .. } | A::CreateView { .. } | A::CreateTempView { .. } => {
            return Authorization::Deny
        }
        A::CreateTempTable { .. } | A::CreateTempIndex { .. } | A::CreateVtable { .. } | A::DropVtable { .. } => {
            return Authorization::Deny
        }
        // CREATE INDEX reports a reindex of the new index; that is allowed.
        A::Transaction { .. } | A::Savepoint { .. } | A::Analyze { .. } => return Authorization::Deny,
        A::Function { function_name } => {
            let denied = ["load_extension", "random", "randomblob", "changes", "total_changes", "last_insert_rowid"];
            if denied.iter().any(|d| d.eq_ignore_ascii_case(function_name)) {
                return Authorization::Deny;
            }
            return Authorization::Allow;
        }
        A::Read { table_name, .. }
        | A::Insert { table_name }
        | A::Update { table_name, .. }
        | A::Delete { table_name }
        | A::CreateTable { table_name }
        | A::DropTable { table_name }
        | A::CreateIndex { table_name, .. }
        | A::DropIndex { table_name, .. }
        | A::AlterTable { table_name, .. } => table_name,
        _ => return Authorization::Allow,
    };
    if is_internal(table) {
        Authorization::Deny
    } else {
        Authorization::Allow
    }
}

/// What a user statement touches, recorded while SQLite compiles it: what
/// privileges it needs (see [`acl::check_touches`]). Accesses from inside
/// the policy triggers or a view are not the statement's own: policies run
/// with the table owner's rights, and a read of a view is checked with
/// what the view reads (`acl::may_read`).
pub(super) fn record_touch(ctx: &AuthContext<'_>, touches: &mut Vec<Touch>) {
    if ctx.database_name.is_some_and(|d| d != "main") || ctx.accessor.is_some() {
        return;
    }
    let touch = match ctx.action {
        AuthAction::Read { table_name, .. } => Touch::Read(table_name.to_owned()),
        AuthAction::Insert { table_name } => Touch::Insert(table_name.to_owned()),
        AuthAction::Update { table_name, column_name } => {
            Touch::Update { table: table_name.to_owned(), column: column_name.to_owned() }
        }
        AuthAction::Delete { table_name } => Touch::Delete(table_name.to_owned()),
        _ => return,
    };
    if !touches.contains(&touch) {
        touches.push(touch);
    }
}
