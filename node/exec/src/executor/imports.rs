//! Import batches on the executor: a followed source's transaction is
//! applied with the source's new position in the same savepoint
//! (`__rc_imports`, one state leaf per source), so a crash can never keep
//! the rows without the position or the position without the rows.
//!
//! Consensus rules, checked before any statement runs: the position must be
//! past the recorded one (55000 otherwise: the batch was applied already,
//! by this importer before a restart or by another one racing it), a batch
//! that names the position it follows applies only right after it (55000:
//! so one failed batch of several in flight fails the rest), and only the
//! account that started the source, or an admin, may move it on (42501).

use super::*;
use node_core::import::{check_batch, ImportMeta};
use node_core::tx::ImportBatch;

impl Executor {
    pub(super) fn run_import(
        &mut self,
        batch: &ImportBatch,
        ctx: &mut StmtCtx,
        changes: &mut Changes,
    ) -> Result<Result<Vec<StatementResult>, TxFailure>, ExecError> {
        let refuse =
            |e: SqlError| Ok(Err(TxFailure { statement_index: 0, sqlstate: e.sqlstate.into(), message: e.message }));
        if let Err(e) = check_batch(&batch.source, &batch.position) {
            return refuse(e);
        }
        let recorded = self.import_meta(&batch.source)?;
        if let Some(follows) = &batch.follows {
            if recorded.as_ref().map(|m| &m.position.order) != Some(follows) {
                let at =
                    recorded.as_ref().map_or_else(|| "nowhere yet".to_string(), |m| format!("at {}", m.position.text));
                return refuse(SqlError::new(
                    "55000",
                    format!(
                        "import source \"{}\" is {at}: this batch follows another position (a batch before it failed or is missing)",
                        batch.source
                    ),
                ));
            }
        }
        if let Some(meta) = &recorded {
            if meta.account != self.signer.address && !self.signer.admin {
                let owner = self.account_name_of(&meta.account);
                return refuse(SqlError::new(
                    "42501",
                    format!("import source \"{}\" is imported by role {owner}", batch.source),
                ));
            }
            if !batch.position.is_past(&meta.position) {
                return refuse(SqlError::new(
                    "55000",
                    format!(
                        "import source \"{}\" is already at {}: this batch's position {} is not past it",
                        batch.source, meta.position.text, batch.position.text
                    ),
                ));
            }
        }
        let results = match self.run_statements(&batch.statements, ctx, changes) {
            Ok(results) => results,
            Err(f) => return Ok(Err(f)),
        };
        let meta = ImportMeta {
            source: batch.source.clone(),
            account: recorded.as_ref().map_or_else(|| self.signer.address.clone(), |m| m.account.clone()),
            position: batch.position.clone(),
            batches: recorded.as_ref().map_or(0, |m| m.batches) + 1,
            height: ctx.height,
        };
        self.write_import(&meta, changes)?;
        Ok(Ok(results))
    }

    fn import_meta(&self, source: &str) -> Result<Option<ImportMeta>, ExecError> {
        let mut st = self.conn.prepare_cached(&format!("{} WHERE source = ?1", crate::tables::IMPORTS_QUERY))?;
        st.query_row([source], crate::tables::import_row).optional()?.transpose().map_err(ExecError::Inconsistent)
    }

    fn write_import(&self, meta: &ImportMeta, changes: &mut Changes) -> Result<(), ExecError> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO __rc_imports(source, role, account, position, position_order, batches, height)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                meta.source,
                self.account_name_of(&meta.account),
                meta.account,
                meta.position.text,
                crate::tables::order_text(&meta.position.order),
                meta.batches as i64,
                meta.height as i64,
            ])?;
        let label = meta.label();
        changes.insert(self.suite.hash(&label), Some((self.suite.hash(&meta.encode()), label)));
        Ok(())
    }

    /// The role name of an account address, or the address when the role is gone.
    fn account_name_of(&self, address: &str) -> String {
        self.accounts
            .iter()
            .find(|(key, _)| key.address() == address)
            .map_or_else(|| address.to_string(), |(_, name)| name.clone())
    }
}
