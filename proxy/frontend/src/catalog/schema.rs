//! The emulated tables: every `pg_catalog` / `information_schema` relation
//! clients query, with PostgreSQL's column names and types. One definition
//! gives the SQLite table, the columns rows are built against, and the
//! PostgreSQL type of each result column.

use super::builtin::BUILTIN_TYPES;

/// `(schema, table, "column type, ...")`; types are PostgreSQL type names.
const TABLES: &[(&str, &str, &str)] = &[
    ("pg_catalog", "pg_namespace", "oid oid, nspname name, nspowner oid, nspacl _aclitem"),
    (
        "pg_catalog",
        "pg_class",
        "oid oid, relname name, relnamespace oid, reltype oid, reloftype oid, relowner oid, relam oid, \
         relfilenode oid, reltablespace oid, relpages int4, reltuples float4, relallvisible int4, \
         reltoastrelid oid, relhasindex bool, relisshared bool, relpersistence char, relkind char, \
         relnatts int2, relchecks int2, relhasrules bool, relhastriggers bool, relhassubclass bool, \
         relrowsecurity bool, relforcerowsecurity bool, relispopulated bool, relreplident char, \
         relispartition bool, relrewrite oid, relfrozenxid xid, relminmxid xid, relacl _aclitem, \
         reloptions _text, relpartbound pg_node_tree",
    ),
    (
        "pg_catalog",
        "pg_attribute",
        "attrelid oid, attname name, atttypid oid, attstattarget int4, attlen int2, attnum int2, \
         attndims int4, attcacheoff int4, atttypmod int4, attbyval bool, attalign char, attstorage char, \
         attcompression char, attnotnull bool, atthasdef bool, atthasmissing bool, attidentity char, \
         attgenerated char, attisdropped bool, attislocal bool, attinhcount int4, attcollation oid, \
         attacl _aclitem, attoptions _text, attfdwoptions _text, attmissingval text",
    ),
    (
        "pg_catalog",
        "pg_type",
        "oid oid, typname name, typnamespace oid, typowner oid, typlen int2, typbyval bool, typtype char, \
         typcategory char, typispreferred bool, typisdefined bool, typdelim char, typrelid oid, \
         typsubscript regproc, typelem oid, typarray oid, typinput regproc, typoutput regproc, \
         typreceive regproc, typsend regproc, typmodin regproc, typmodout regproc, typanalyze regproc, \
         typalign char, typstorage char, typnotnull bool, typbasetype oid, typtypmod int4, typndims int4, \
         typcollation oid, typdefaultbin pg_node_tree, typdefault text, typacl _aclitem",
    ),
    (
        "pg_catalog",
        "pg_index",
        "indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2, indisunique bool, \
         indnullsnotdistinct bool, indisprimary bool, indisexclusion bool, indimmediate bool, \
         indisclustered bool, indisvalid bool, indcheckxmin bool, indisready bool, indislive bool, \
         indisreplident bool, indkey int2vector, indcollation oidvector, indclass oidvector, \
         indoption int2vector, indexprs pg_node_tree, indpred pg_node_tree",
    ),
    (
        "pg_catalog",
        "pg_constraint",
        "oid oid, conname name, connamespace oid, contype char, condeferrable bool, condeferred bool, \
         convalidated bool, conrelid oid, contypid oid, conindid oid, conparentid oid, confrelid oid, \
         confupdtype char, confdeltype char, confmatchtype char, conislocal bool, coninhcount int4, \
         connoinherit bool, conkey _int2, confkey _int2, conpfeqop _oid, conppeqop _oid, conffeqop _oid, \
         confdelsetcols _int2, conexclop _oid, conbin pg_node_tree",
    ),
    ("pg_catalog", "pg_attrdef", "oid oid, adrelid oid, adnum int2, adbin pg_node_tree"),
    ("pg_catalog", "pg_description", "objoid oid, classoid oid, objsubid int4, description text"),
    ("pg_catalog", "pg_shdescription", "objoid oid, classoid oid, description text"),
    (
        "pg_catalog",
        "pg_database",
        "oid oid, datname name, datdba oid, encoding int4, datlocprovider char, datistemplate bool, \
         datallowconn bool, datconnlimit int4, datfrozenxid xid, datminmxid xid, dattablespace oid, \
         datcollate text, datctype text, daticulocale text, datcollversion text, datacl _aclitem",
    ),
    (
        "pg_catalog",
        "pg_roles",
        "rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool, rolcreatedb bool, \
         rolcanlogin bool, rolreplication bool, rolconnlimit int4, rolpassword text, \
         rolvaliduntil timestamptz, rolbypassrls bool, rolconfig _text, oid oid",
    ),
    (
        "pg_catalog",
        "pg_user",
        "usename name, usesysid oid, usecreatedb bool, usesuper bool, userepl bool, usebypassrls bool, \
         passwd text, valuntil timestamptz, useconfig _text",
    ),
    ("pg_catalog", "pg_auth_members", "oid oid, roleid oid, member oid, grantor oid, admin_option bool"),
    ("pg_catalog", "pg_am", "oid oid, amname name, amhandler regproc, amtype char"),
    (
        "pg_catalog",
        "pg_settings",
        "name text, setting text, unit text, category text, short_desc text, extra_desc text, \
         context text, vartype text, source text, min_val text, max_val text, enumvals _text, \
         boot_val text, reset_val text, sourcefile text, sourceline int4, pending_restart bool",
    ),
    (
        "pg_catalog",
        "pg_proc",
        "oid oid, proname name, pronamespace oid, proowner oid, prolang oid, procost float4, \
         prorows float4, provariadic oid, prosupport regproc, prokind char, prosecdef bool, \
         proleakproof bool, proisstrict bool, proretset bool, provolatile char, proparallel char, \
         pronargs int2, pronargdefaults int2, prorettype oid, proargtypes oidvector, \
         proallargtypes _oid, proargmodes _char, proargnames _text, proargdefaults pg_node_tree, \
         protrftypes _oid, prosrc text, probin text, prosqlbody pg_node_tree, proconfig _text, \
         proacl _aclitem",
    ),
    (
        "pg_catalog",
        "pg_prepared_statements",
        "name text, statement text, prepare_time timestamptz, parameter_types _regtype, from_sql bool, \
         generic_plans int8, custom_plans int8",
    ),
    ("pg_catalog", "pg_inherits", "inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool"),
    ("pg_catalog", "pg_tablespace", "oid oid, spcname name, spcowner oid, spcacl _aclitem, spcoptions _text"),
    (
        "pg_catalog",
        "pg_collation",
        "oid oid, collname name, collnamespace oid, collowner oid, collprovider char, \
         collisdeterministic bool, collencoding int4, collcollate text, collctype text, \
         colliculocale text, collversion text",
    ),
    (
        "pg_catalog",
        "pg_depend",
        "classid oid, objid oid, objsubid int4, refclassid oid, refobjid oid, refobjsubid int4, deptype char",
    ),
    (
        "pg_catalog",
        "pg_sequence",
        "seqrelid oid, seqtypid oid, seqstart int8, seqincrement int8, seqmax int8, seqmin int8, \
         seqcache int8, seqcycle bool",
    ),
    (
        "pg_catalog",
        "pg_sequences",
        "schemaname name, sequencename name, sequenceowner name, data_type regtype, start_value int8, \
         min_value int8, max_value int8, increment_by int8, cycle bool, cache_size int8, last_value int8",
    ),
    (
        "pg_catalog",
        "pg_extension",
        "oid oid, extname name, extowner oid, extnamespace oid, extrelocatable bool, extversion text, \
         extconfig _oid, extcondition _text",
    ),
    (
        "pg_catalog",
        "pg_trigger",
        "oid oid, tgrelid oid, tgparentid oid, tgname name, tgfoid oid, tgtype int2, tgenabled char, \
         tgisinternal bool, tgconstrrelid oid, tgconstrindid oid, tgconstraint oid, tgdeferrable bool, \
         tginitdeferred bool, tgnargs int2, tgattr int2vector, tgargs bytea, tgqual pg_node_tree, \
         tgoldtable name, tgnewtable name",
    ),
    (
        "pg_catalog",
        "pg_policy",
        "oid oid, polname name, polrelid oid, polcmd char, polpermissive bool, polroles _oid, \
         polqual pg_node_tree, polwithcheck pg_node_tree",
    ),
    (
        "pg_catalog",
        "pg_statistic_ext",
        "oid oid, stxrelid oid, stxname name, stxnamespace oid, stxowner oid, stxstattarget int4, \
         stxkeys int2vector, stxkind _char, stxexprs pg_node_tree",
    ),
    (
        "pg_catalog",
        "pg_publication",
        "oid oid, pubname name, pubowner oid, puballtables bool, pubinsert bool, pubupdate bool, \
         pubdelete bool, pubtruncate bool, pubviaroot bool",
    ),
    ("pg_catalog", "pg_publication_rel", "oid oid, prpubid oid, prrelid oid, prqual pg_node_tree, prattrs int2vector"),
    ("pg_catalog", "pg_publication_namespace", "oid oid, pnpubid oid, pnnspid oid"),
    (
        "pg_catalog",
        "pg_partitioned_table",
        "partrelid oid, partstrat char, partnatts int2, partdefid oid, partattrs int2vector, \
         partclass oidvector, partcollation oidvector, partexprs pg_node_tree",
    ),
    ("pg_catalog", "pg_enum", "oid oid, enumtypid oid, enumsortorder float4, enumlabel name"),
    (
        "pg_catalog",
        "pg_range",
        "rngtypid oid, rngsubtype oid, rngmultitypid oid, rngcollation oid, rngsubopc oid, \
         rngcanonical regproc, rngsubdiff regproc",
    ),
    (
        "pg_catalog",
        "pg_opclass",
        "oid oid, opcmethod oid, opcname name, opcnamespace oid, opcowner oid, opcfamily oid, \
         opcintype oid, opcdefault bool, opckeytype oid",
    ),
    ("pg_catalog", "pg_foreign_table", "ftrelid oid, ftserver oid, ftoptions _text"),
    (
        "pg_catalog",
        "pg_rewrite",
        "oid oid, rulename name, ev_class oid, ev_type char, ev_enabled char, is_instead bool",
    ),
    (
        "pg_catalog",
        "pg_event_trigger",
        "oid oid, evtname name, evtevent name, evtowner oid, evtfoid oid, evtenabled char",
    ),
    ("pg_catalog", "pg_language", "oid oid, lanname name, lanowner oid, lanispl bool, lanpltrusted bool"),
    (
        "pg_catalog",
        "pg_stat_activity",
        "datid oid, datname name, pid int4, leader_pid int4, usesysid oid, usename name, application_name text, \
         client_addr text, client_hostname text, client_port int4, backend_start timestamptz, \
         xact_start timestamptz, query_start timestamptz, state_change timestamptz, wait_event_type text, \
         wait_event text, state text, backend_xid xid, backend_xmin xid, query_id int8, query text, \
         backend_type text",
    ),
    (
        "pg_catalog",
        "pg_stat_user_tables",
        "relid oid, schemaname name, relname name, seq_scan int8, idx_scan int8, n_live_tup int8, n_dead_tup int8",
    ),
    (
        "pg_catalog",
        "pg_tables",
        "schemaname name, tablename name, tableowner name, tablespace name, hasindexes bool, \
         hasrules bool, hastriggers bool, rowsecurity bool",
    ),
    (
        "pg_catalog",
        "pg_policies",
        "schemaname name, tablename name, policyname name, permissive text, roles _name, cmd text, \
         qual text, with_check text",
    ),
    ("pg_catalog", "pg_indexes", "schemaname name, tablename name, indexname name, tablespace name, indexdef text"),
    ("pg_catalog", "pg_views", "schemaname name, viewname name, viewowner name, definition text"),
    (
        "pg_catalog",
        "pg_matviews",
        "schemaname name, matviewname name, matviewowner name, tablespace name, hasindexes bool, \
         ispopulated bool, definition text",
    ),
    (
        "information_schema",
        "schemata",
        "catalog_name name, schema_name name, schema_owner name, default_character_set_catalog name, \
         default_character_set_schema name, default_character_set_name name, sql_path text",
    ),
    (
        "information_schema",
        "tables",
        "table_catalog name, table_schema name, table_name name, table_type text, \
         self_referencing_column_name name, reference_generation text, user_defined_type_catalog name, \
         user_defined_type_schema name, user_defined_type_name name, is_insertable_into text, \
         is_typed text, commit_action text",
    ),
    (
        "information_schema",
        "columns",
        "table_catalog name, table_schema name, table_name name, column_name name, ordinal_position int4, \
         column_default text, is_nullable text, data_type text, character_maximum_length int4, \
         character_octet_length int4, numeric_precision int4, numeric_precision_radix int4, \
         numeric_scale int4, datetime_precision int4, interval_type text, interval_precision int4, \
         character_set_catalog name, character_set_schema name, character_set_name name, \
         collation_catalog name, collation_schema name, collation_name name, domain_catalog name, \
         domain_schema name, domain_name name, udt_catalog name, udt_schema name, udt_name name, \
         scope_catalog name, scope_schema name, scope_name name, maximum_cardinality int4, \
         dtd_identifier name, is_self_referencing text, is_identity text, identity_generation text, \
         identity_start text, identity_increment text, identity_maximum text, identity_minimum text, \
         identity_cycle text, is_generated text, generation_expression text, is_updatable text",
    ),
    (
        "information_schema",
        "table_constraints",
        "constraint_catalog name, constraint_schema name, constraint_name name, table_catalog name, \
         table_schema name, table_name name, constraint_type text, is_deferrable text, \
         initially_deferred text, enforced text, nulls_distinct text",
    ),
    (
        "information_schema",
        "check_constraints",
        "constraint_catalog name, constraint_schema name, constraint_name name, check_clause text",
    ),
    (
        "information_schema",
        "key_column_usage",
        "constraint_catalog name, constraint_schema name, constraint_name name, table_catalog name, \
         table_schema name, table_name name, column_name name, ordinal_position int4, \
         position_in_unique_constraint int4",
    ),
    (
        "information_schema",
        "referential_constraints",
        "constraint_catalog name, constraint_schema name, constraint_name name, \
         unique_constraint_catalog name, unique_constraint_schema name, unique_constraint_name name, \
         match_option text, update_rule text, delete_rule text",
    ),
    (
        "information_schema",
        "constraint_column_usage",
        "table_catalog name, table_schema name, table_name name, column_name name, \
         constraint_catalog name, constraint_schema name, constraint_name name",
    ),
    (
        "information_schema",
        "table_privileges",
        "grantor name, grantee name, table_catalog name, table_schema name, table_name name, \
         privilege_type text, is_grantable text, with_hierarchy text",
    ),
    (
        "information_schema",
        "column_privileges",
        "grantor name, grantee name, table_catalog name, table_schema name, table_name name, \
         column_name name, privilege_type text, is_grantable text",
    ),
    (
        "information_schema",
        "views",
        "table_catalog name, table_schema name, table_name name, view_definition text, check_option text, \
         is_updatable text, is_insertable_into text, is_trigger_updatable text, \
         is_trigger_deletable text, is_trigger_insertable_into text",
    ),
    (
        "information_schema",
        "sequences",
        "sequence_catalog name, sequence_schema name, sequence_name name, data_type text, \
         numeric_precision int4, numeric_precision_radix int4, numeric_scale int4, start_value text, \
         minimum_value text, maximum_value text, increment text, cycle_option text",
    ),
    (
        "information_schema",
        "routines",
        "specific_catalog name, specific_schema name, specific_name name, routine_catalog name, \
         routine_schema name, routine_name name, routine_type text, data_type text, \
         routine_body text, routine_definition text, external_language text, is_deterministic text",
    ),
];

/// One emulated table.
#[derive(Debug, Clone)]
pub(crate) struct TableDef {
    pub schema: &'static str,
    pub name: &'static str,
    pub columns: Vec<(&'static str, &'static str)>,
}

impl TableDef {
    pub(crate) fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    pub(crate) fn position(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|(c, _)| *c == column)
    }

    /// `CREATE TABLE schema.name (...)`: integers for OIDs, numbers and
    /// booleans (so `oid = '16385'` compares as PostgreSQL does), text
    /// otherwise, with PostgreSQL's zero defaults for numbers and `char`.
    pub(crate) fn create_sql(&self) -> String {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|(name, ty)| {
                let (decl, default) = match (storage(ty), self.schema) {
                    // information_schema columns are nullable, as its domains are.
                    (Storage::Integer, "information_schema") => ("INTEGER", ""),
                    (Storage::Integer, _) => ("INTEGER", " DEFAULT 0"),
                    (Storage::Real, _) => ("REAL", " DEFAULT 0"),
                    (Storage::Char, _) => ("TEXT", " DEFAULT ''"),
                    (Storage::Text, _) => ("TEXT", ""),
                };
                format!("\"{name}\" {decl}{default}")
            })
            .collect();
        format!("CREATE TABLE \"{}\".\"{}\" ({})", self.schema, self.name, columns.join(", "))
    }

    /// A row of defaults: PostgreSQL's zeros for catalog numbers and `char`,
    /// NULL for text and for every information_schema column.
    pub(crate) fn default_row(&self) -> Vec<rusqlite::types::Value> {
        use rusqlite::types::Value as V;
        self.columns
            .iter()
            .map(|(_, ty)| match (storage(ty), self.schema) {
                (_, "information_schema") | (Storage::Text, _) => V::Null,
                (Storage::Integer, _) => V::Integer(0),
                (Storage::Real, _) => V::Real(0.0),
                (Storage::Char, _) => V::Text(String::new()),
            })
            .collect()
    }
}

enum Storage {
    Integer,
    Real,
    Char,
    Text,
}

fn storage(ty: &str) -> Storage {
    match ty {
        "oid" | "bool" | "int2" | "int4" | "int8" | "xid" => Storage::Integer,
        "float4" => Storage::Real,
        "char" => Storage::Char,
        _ => Storage::Text,
    }
}

/// Every emulated table.
// TABLES is a literal of this module; any catalog query parses all of it.
#[allow(clippy::expect_used)]
pub(crate) fn tables() -> &'static [TableDef] {
    static DEFS: std::sync::OnceLock<Vec<TableDef>> = std::sync::OnceLock::new();
    DEFS.get_or_init(|| {
        TABLES
            .iter()
            .map(|(schema, name, columns)| TableDef {
                schema,
                name,
                columns: columns
                    .split(',')
                    .map(|c| {
                        let (column, ty) = c.trim().split_once(' ').expect("column and type");
                        (column, ty)
                    })
                    .collect(),
            })
            .collect()
    })
}

/// Every table the catalog fills: PostgreSQL's, then MySQL's
/// information_schema (which `pg_class` does not list: see [`super::mysql`]).
pub(crate) fn all_tables() -> impl Iterator<Item = &'static TableDef> {
    tables().iter().chain(super::mysql::tables())
}

pub(crate) fn table(schema: &str, name: &str) -> &'static TableDef {
    all_tables()
        .find(|t| t.schema == schema && t.name == name)
        .unwrap_or_else(|| panic!("no emulated table {schema}.{name}"))
}

/// The PostgreSQL type OID of a built-in type name.
pub(crate) fn type_oid(name: &str) -> Option<u32> {
    BUILTIN_TYPES.iter().find(|t| t.1 == name).map(|t| t.0)
}

/// The PostgreSQL type OID of an emulated table's column, by SQLite table
/// name (without schema, as SQLite reports a result column's origin) and
/// column name. `regproc` and `regtype` columns print as names, so they
/// are text here.
pub fn column_type_oid(table: &str, column: &str) -> Option<u32> {
    let def = all_tables().find(|t| t.name == table)?;
    let (_, ty) = def.columns.iter().find(|(c, _)| *c == column)?;
    match *ty {
        "regproc" | "regtype" => Some(25),
        "char" => Some(18),
        other => type_oid(other),
    }
}
