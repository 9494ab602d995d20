//! The PostgreSQL column types rowchain accepts, their OIDs, typmods and
//! display names, and how each is stored in a SQLite `STRICT` table.

use sqlparser::ast::{ArrayElemTypeDef, CharacterLength, DataType, ExactNumberInfo, TimezoneInfo};

use crate::error::PlanError;

/// The SQLite collation of numeric columns and expressions
/// ([`crate::numeric::compare_text`], registered by the node).
pub const NUMERIC_COLLATION: &str = "rc_numeric";

/// A declared PostgreSQL column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgType {
    Int2,
    Int4,
    Int8,
    Numeric {
        precision: Option<u32>,
        scale: Option<u32>,
    },
    Float4,
    Float8,
    Text,
    Varchar(Option<u32>),
    Char(Option<u32>),
    Bool,
    Date,
    /// `time [without time zone]`, stored as `HH:MM:SS[.ffffff]`.
    Time,
    Timestamp,
    Timestamptz,
    Bytea,
    Json,
    Jsonb,
    Uuid,
    /// `bit(n)`, stored as its text of `0`s and `1`s ([`crate::bitstring`]);
    /// `None` only for a value without a length (a `B'..'` literal).
    Bit(Option<u32>),
    /// `bit varying(n)`, `varbit`; stored as `bit(n)` is.
    VarBit(Option<u32>),
    /// `inet` and `cidr`, stored as their output text under the
    /// `rc_inet` collation ([`crate::network`]).
    Inet,
    Cidr,
    /// `macaddr`, `macaddr8`, stored as their output text.
    MacAddr,
    MacAddr8,
    /// The one-byte `"char"`, stored as its output text ([`crate::systypes`]).
    InternalChar,
    /// `oid`: an unsigned 32-bit integer.
    Oid,
    /// `int2vector` and `oidvector`: the catalog's arrays of integers,
    /// printed space-separated (`1 2 3`), subscripts from 0. Results and
    /// parameters only; no column is of these types.
    Int2Vector,
    OidVector,
    /// A one-dimensional array ([`crate::arrays`]), stored as PostgreSQL's
    /// text form `{1,2,NULL}`.
    Array(ArrayOf),
}

/// The element type of an array, kept as its OID and typmod so that
/// [`PgType`] stays `Copy`; [`ArrayOf::element`] gives it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrayOf {
    element_oid: u32,
    element_typmod: i32,
}

impl ArrayOf {
    /// An array of `element`; `None` where PostgreSQL has no array type
    /// rowchain knows (arrays of arrays are multidimensional arrays).
    pub fn of(element: PgType) -> Option<ArrayOf> {
        crate::arrays::array_oid(element.oid())?;
        Some(ArrayOf { element_oid: element.oid(), element_typmod: element.typmod() })
    }

    pub fn element(&self) -> PgType {
        PgType::from_oid(self.element_oid, self.element_typmod).unwrap_or(PgType::Text)
    }
}

/// A column type as declared: the type plus whether it was a `serial` pseudo-type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Declared {
    pub ty: PgType,
    pub serial: bool,
}

impl PgType {
    /// The PostgreSQL type OID (`pg_type.oid`).
    pub fn oid(&self) -> u32 {
        match self {
            PgType::Int2 => 21,
            PgType::Int4 => 23,
            PgType::Int8 => 20,
            PgType::Numeric { .. } => 1700,
            PgType::Float4 => 700,
            PgType::Float8 => 701,
            PgType::Text => 25,
            PgType::Varchar(_) => 1043,
            PgType::Char(_) => 1042,
            PgType::Bool => 16,
            PgType::Date => 1082,
            PgType::Time => 1083,
            PgType::Timestamp => 1114,
            PgType::Timestamptz => 1184,
            PgType::Bytea => 17,
            PgType::Json => 114,
            PgType::Jsonb => 3802,
            PgType::Uuid => 2950,
            PgType::Bit(_) => 1560,
            PgType::VarBit(_) => 1562,
            PgType::Inet => 869,
            PgType::Cidr => 650,
            PgType::MacAddr => 829,
            PgType::MacAddr8 => 774,
            PgType::InternalChar => 18,
            PgType::Oid => 26,
            PgType::Int2Vector => 22,
            PgType::OidVector => 30,
            PgType::Array(a) => crate::arrays::array_oid(a.element_oid).unwrap_or(1009),
        }
    }

    /// The type of OID `oid` with modifier `typmod` (as [`PgType::oid`] and
    /// [`PgType::typmod`] give them); `None` for types rowchain lacks.
    pub fn from_oid(oid: u32, typmod: i32) -> Option<PgType> {
        let length = u32::try_from(typmod).ok().and_then(|m| m.checked_sub(4));
        let bits = u32::try_from(typmod).ok();
        Some(match oid {
            21 => PgType::Int2,
            23 => PgType::Int4,
            20 => PgType::Int8,
            1700 => match length {
                Some(m) => PgType::Numeric { precision: Some(m >> 16), scale: Some(m & 0xffff) },
                None => PgType::Numeric { precision: None, scale: None },
            },
            700 => PgType::Float4,
            701 => PgType::Float8,
            25 => PgType::Text,
            1043 => PgType::Varchar(length),
            1042 => PgType::Char(length),
            16 => PgType::Bool,
            1082 => PgType::Date,
            1083 => PgType::Time,
            1114 => PgType::Timestamp,
            1184 => PgType::Timestamptz,
            17 => PgType::Bytea,
            114 => PgType::Json,
            3802 => PgType::Jsonb,
            2950 => PgType::Uuid,
            1560 => PgType::Bit(bits),
            1562 => PgType::VarBit(bits),
            869 => PgType::Inet,
            650 => PgType::Cidr,
            829 => PgType::MacAddr,
            774 => PgType::MacAddr8,
            18 => PgType::InternalChar,
            26 => PgType::Oid,
            22 => PgType::Int2Vector,
            30 => PgType::OidVector,
            other => {
                let element = crate::arrays::element_oid(other)?;
                PgType::Array(ArrayOf::of(PgType::from_oid(element, typmod)?)?)
            }
        })
    }

    /// PostgreSQL's `atttypmod`: length + 4 for character types, the
    /// length for bit strings, `((precision << 16) | scale) + 4` for
    /// numeric, otherwise -1.
    pub fn typmod(&self) -> i32 {
        let modded = match *self {
            PgType::Varchar(Some(n)) | PgType::Char(Some(n)) => i64::from(n) + 4,
            PgType::Bit(Some(n)) | PgType::VarBit(Some(n)) => i64::from(n),
            PgType::Numeric { precision: Some(p), scale } => ((i64::from(p) << 16) | i64::from(scale.unwrap_or(0))) + 4,
            // An array's typmod is its element's, as in pg_attribute.
            PgType::Array(a) => return a.element_typmod,
            _ => return -1,
        };
        i32::try_from(modded).unwrap_or(-1)
    }

    /// The column type in a SQLite `STRICT` table.
    pub fn sqlite_type(&self) -> &'static str {
        match self {
            PgType::Int2 | PgType::Int4 | PgType::Int8 | PgType::Bool | PgType::Oid => "INTEGER",
            PgType::Float4 | PgType::Float8 => "REAL",
            PgType::Bytea => "BLOB",
            // Exact: the value's text, ordered by the `rc_numeric` collation.
            PgType::Numeric { .. } => "TEXT",
            PgType::Text
            | PgType::Varchar(_)
            | PgType::Char(_)
            | PgType::Date
            | PgType::Time
            | PgType::Timestamp
            | PgType::Timestamptz
            | PgType::Json
            | PgType::Jsonb
            | PgType::Uuid
            | PgType::Bit(_)
            | PgType::VarBit(_)
            | PgType::Inet
            | PgType::Cidr
            | PgType::MacAddr
            | PgType::MacAddr8
            | PgType::InternalChar
            | PgType::Int2Vector
            | PgType::OidVector
            | PgType::Array(_) => "TEXT",
        }
    }

    /// The collation a column of this type declares in SQLite: numeric
    /// text orders by value.
    pub fn sqlite_collation(&self) -> Option<&'static str> {
        match self {
            PgType::Numeric { .. } => Some(NUMERIC_COLLATION),
            PgType::Inet | PgType::Cidr => Some(crate::network::INET_COLLATION),
            _ => None,
        }
    }

    /// The name PostgreSQL's `format_type` prints, e.g. `character varying(20)`.
    pub fn name(&self) -> String {
        let with_length = |base: &str, n: &Option<u32>| match n {
            Some(n) => format!("{base}({n})"),
            None => base.to_string(),
        };
        match self {
            PgType::Int2 => "smallint".into(),
            PgType::Int4 => "integer".into(),
            PgType::Int8 => "bigint".into(),
            PgType::Numeric { precision: Some(p), scale } => {
                format!("numeric({p},{})", scale.unwrap_or(0))
            }
            PgType::Numeric { precision: None, .. } => "numeric".into(),
            PgType::Float4 => "real".into(),
            PgType::Float8 => "double precision".into(),
            PgType::Text => "text".into(),
            PgType::Varchar(n) => with_length("character varying", n),
            PgType::Char(n) => with_length("character", n),
            PgType::Bool => "boolean".into(),
            PgType::Date => "date".into(),
            PgType::Time => "time without time zone".into(),
            PgType::Timestamp => "timestamp without time zone".into(),
            PgType::Timestamptz => "timestamp with time zone".into(),
            PgType::Bytea => "bytea".into(),
            PgType::Json => "json".into(),
            PgType::Jsonb => "jsonb".into(),
            PgType::Uuid => "uuid".into(),
            // format_type's names: a bit without a length is quoted.
            PgType::Bit(None) => "\"bit\"".into(),
            PgType::Bit(n) => with_length("bit", n),
            PgType::VarBit(n) => with_length("bit varying", n),
            PgType::Inet => "inet".into(),
            PgType::Cidr => "cidr".into(),
            PgType::MacAddr => "macaddr".into(),
            PgType::MacAddr8 => "macaddr8".into(),
            PgType::InternalChar => "\"char\"".into(),
            PgType::Oid => "oid".into(),
            PgType::Int2Vector => "int2vector".into(),
            PgType::OidVector => "oidvector".into(),
            PgType::Array(a) => format!("{}[]", a.element().name()),
        }
    }

    /// The inverse of [`PgType::name`], for reading stored metadata back.
    pub fn parse_name(s: &str) -> Option<PgType> {
        if let Some(element) = s.strip_suffix("[]") {
            return ArrayOf::of(PgType::parse_name(element)?).map(PgType::Array);
        }
        let (base, args) = match s.split_once('(') {
            Some((base, rest)) => (base, Some(rest.strip_suffix(')')?)),
            None => (s, None),
        };
        let number = |text: &str| text.trim().parse::<u32>().ok();
        let length = match args {
            Some(text) if !base.starts_with("numeric") => Some(number(text)?),
            _ => None,
        };
        let ty = match (base, args) {
            ("smallint", None) => PgType::Int2,
            ("integer", None) => PgType::Int4,
            ("bigint", None) => PgType::Int8,
            ("numeric", None) => PgType::Numeric { precision: None, scale: None },
            ("numeric", Some(text)) => {
                let (p, s) = text.split_once(',')?;
                PgType::Numeric { precision: Some(number(p)?), scale: Some(number(s)?) }
            }
            ("real", None) => PgType::Float4,
            ("double precision", None) => PgType::Float8,
            ("text", None) => PgType::Text,
            ("character varying", _) => PgType::Varchar(length),
            ("character", _) => PgType::Char(length),
            ("boolean", None) => PgType::Bool,
            ("date", None) => PgType::Date,
            ("time without time zone", None) => PgType::Time,
            ("timestamp without time zone", None) => PgType::Timestamp,
            ("timestamp with time zone", None) => PgType::Timestamptz,
            ("bytea", None) => PgType::Bytea,
            ("json", None) => PgType::Json,
            ("jsonb", None) => PgType::Jsonb,
            ("uuid", None) => PgType::Uuid,
            ("\"bit\"", None) => PgType::Bit(None),
            ("bit", Some(_)) => PgType::Bit(length),
            ("bit varying", _) => PgType::VarBit(length),
            ("inet", None) => PgType::Inet,
            ("cidr", None) => PgType::Cidr,
            ("macaddr", None) => PgType::MacAddr,
            ("macaddr8", None) => PgType::MacAddr8,
            ("\"char\"", None) => PgType::InternalChar,
            ("oid", None) => PgType::Oid,
            ("int2vector", None) => PgType::Int2Vector,
            ("oidvector", None) => PgType::OidVector,
            _ => return None,
        };
        Some(ty)
    }

    /// The declared maximum length of `varchar(n)` / `char(n)`.
    pub(crate) fn max_length(&self) -> Option<u32> {
        match *self {
            PgType::Varchar(n) | PgType::Char(n) => n,
            _ => None,
        }
    }

    /// A bit string type's length rule, for [`crate::bitstring::coerce`].
    pub(crate) fn bit_type(&self) -> Option<crate::bitstring::BitType> {
        match *self {
            PgType::Bit(length) => Some(crate::bitstring::BitType { varying: false, length }),
            PgType::VarBit(length) => Some(crate::bitstring::BitType { varying: true, length }),
            _ => None,
        }
    }

    pub(crate) fn is_integer(&self) -> bool {
        matches!(self, PgType::Int2 | PgType::Int4 | PgType::Int8)
    }
}

/// Maps a parsed column type to a [`PgType`], or 0A000 for types rowchain
/// does not store.
pub(crate) fn declared_type(data_type: &DataType) -> Result<Declared, PlanError> {
    let plain = |ty| Ok(Declared { ty, serial: false });
    match data_type {
        DataType::Int2(_) | DataType::SmallInt(_) => plain(PgType::Int2),
        DataType::Int(_) | DataType::Int4(_) | DataType::Integer(_) => plain(PgType::Int4),
        DataType::Int8(_) | DataType::BigInt(_) => plain(PgType::Int8),
        DataType::Numeric(info) | DataType::Decimal(info) | DataType::Dec(info) => {
            numeric(info).map(|ty| Declared { ty, serial: false })
        }
        DataType::Real | DataType::Float4 => plain(PgType::Float4),
        DataType::Float8 | DataType::DoublePrecision | DataType::Double(ExactNumberInfo::None) => plain(PgType::Float8),
        DataType::Float(info) => plain(float(info)),
        DataType::Text => plain(PgType::Text),
        DataType::Varchar(n) | DataType::CharacterVarying(n) | DataType::CharVarying(n) => {
            plain(PgType::Varchar(length(n, data_type)?))
        }
        DataType::Char(n) | DataType::Character(n) => plain(PgType::Char(Some(length(n, data_type)?.unwrap_or(1)))),
        DataType::Bool | DataType::Boolean => plain(PgType::Bool),
        DataType::Date => plain(PgType::Date),
        DataType::Time(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => plain(PgType::Time),
        DataType::Timestamp(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => plain(PgType::Timestamp),
        DataType::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => plain(PgType::Timestamptz),
        DataType::Bytea => plain(PgType::Bytea),
        DataType::JSON => plain(PgType::Json),
        DataType::JSONB => plain(PgType::Jsonb),
        DataType::Uuid => plain(PgType::Uuid),
        // `bit` alone is bit(1), `bit varying` has no limit (PostgreSQL's grammar).
        DataType::Bit(n) => plain(PgType::Bit(Some(bit_length(n, data_type)?.unwrap_or(1)))),
        DataType::BitVarying(n) | DataType::VarBit(n) => plain(PgType::VarBit(bit_length(n, data_type)?)),
        // A quoted name ("point") names the same type; it must not be quoted twice in messages.
        DataType::Custom(name, modifiers) if modifiers.is_empty() => custom(name.to_string().trim_matches('"')),
        DataType::Array(ArrayElemTypeDef::SquareBracket(inner, _) | ArrayElemTypeDef::AngleBracket(inner)) => {
            let element = declared_type(inner)?;
            if element.serial {
                return Err(unsupported_type(data_type));
            }
            match element.ty {
                PgType::Array(_) => Err(PlanError::new("0A000", "multidimensional arrays are not supported")),
                ty => ArrayOf::of(ty)
                    .map(|a| Declared { ty: PgType::Array(a), serial: false })
                    .ok_or_else(|| unsupported_type(data_type)),
            }
        }
        other => Err(unsupported_type(other)),
    }
}

fn custom(name: &str) -> Result<Declared, PlanError> {
    let serial = |ty| Ok(Declared { ty, serial: true });
    match name.to_ascii_lowercase().as_str() {
        "serial" | "serial4" => serial(PgType::Int4),
        "bigserial" | "serial8" => serial(PgType::Int8),
        "smallserial" | "serial2" => serial(PgType::Int2),
        "bpchar" => Ok(Declared { ty: PgType::Char(None), serial: false }),
        "timestamptz" => Ok(Declared { ty: PgType::Timestamptz, serial: false }),
        "inet" => Ok(Declared { ty: PgType::Inet, serial: false }),
        "cidr" => Ok(Declared { ty: PgType::Cidr, serial: false }),
        "macaddr" => Ok(Declared { ty: PgType::MacAddr, serial: false }),
        "macaddr8" => Ok(Declared { ty: PgType::MacAddr8, serial: false }),
        "oid" => Ok(Declared { ty: PgType::Oid, serial: false }),
        "int2vector" => Ok(Declared { ty: PgType::Int2Vector, serial: false }),
        "oidvector" => Ok(Declared { ty: PgType::OidVector, serial: false }),
        // Only a quoted "char" gets here: a plain `char` is character(1).
        "char" => Ok(Declared { ty: PgType::InternalChar, serial: false }),
        // The quoted "bit" has no length, unlike a plain `bit`.
        "bit" => Ok(Declared { ty: PgType::Bit(None), serial: false }),
        _ => Err(PlanError::unsupported(format!("type \"{name}\""))),
    }
}

fn unsupported_type(data_type: &DataType) -> PlanError {
    PlanError::unsupported(format!("type \"{}\"", data_type.to_string().to_lowercase()))
}

fn numeric(info: &ExactNumberInfo) -> Result<PgType, PlanError> {
    let to_u32 = |n: u64| u32::try_from(n).ok().filter(|&n| (1..=1000).contains(&n));
    let invalid = || PlanError::new("22023", "NUMERIC precision must be between 1 and 1000");
    match *info {
        ExactNumberInfo::None => Ok(PgType::Numeric { precision: None, scale: None }),
        ExactNumberInfo::Precision(p) => {
            Ok(PgType::Numeric { precision: Some(to_u32(p).ok_or_else(invalid)?), scale: Some(0) })
        }
        ExactNumberInfo::PrecisionAndScale(p, s) => {
            let precision = to_u32(p).ok_or_else(invalid)?;
            let scale = u32::try_from(s)
                .ok()
                .filter(|&s| s <= precision)
                .ok_or_else(|| PlanError::new("22023", "NUMERIC scale must be between 0 and precision"))?;
            Ok(PgType::Numeric { precision: Some(precision), scale: Some(scale) })
        }
    }
}

/// PostgreSQL: `float(p)` with p <= 24 is real, otherwise double precision.
fn float(info: &ExactNumberInfo) -> PgType {
    match info {
        ExactNumberInfo::Precision(p) | ExactNumberInfo::PrecisionAndScale(p, _) if *p <= 24 => PgType::Float4,
        _ => PgType::Float8,
    }
}

fn length(n: &Option<CharacterLength>, data_type: &DataType) -> Result<Option<u32>, PlanError> {
    match n {
        None => Ok(None),
        Some(CharacterLength::IntegerLength { length, .. }) => {
            u32::try_from(*length).ok().filter(|&n| (1..=10_485_760).contains(&n)).map(Some).ok_or_else(|| {
                PlanError::new("22023", format!("length for type {data_type} must be between 1 and 10485760"))
            })
        }
        Some(CharacterLength::Max) => Err(unsupported_type(data_type)),
    }
}

/// A bit string type's length: 1 to 83886080 (PostgreSQL's 22023 beyond).
fn bit_length(n: &Option<u64>, data_type: &DataType) -> Result<Option<u32>, PlanError> {
    let name = if matches!(data_type, DataType::Bit(_)) { "bit" } else { "varbit" };
    match *n {
        None => Ok(None),
        Some(0) => Err(PlanError::new("22023", format!("length for type {name} must be at least 1"))),
        Some(n) => {
            u32::try_from(n).ok().filter(|&n| n as usize <= crate::bitstring::BITS_MAX).map(Some).ok_or_else(|| {
                PlanError::new("22023", format!("length for type {name} cannot exceed {}", crate::bitstring::BITS_MAX))
            })
        }
    }
}

/// 0A000 for a type that values may have but no column (or domain) may:
/// arrays of elements whose canonical text the planner cannot compute
/// ([`crate::arrays::storable_element`]), and the catalog's `int2vector` /
/// `oidvector`.
pub(crate) fn check_storable(ty: PgType) -> Result<(), PlanError> {
    match ty {
        PgType::Array(a) if !crate::arrays::storable_element(a.element()) => {
            Err(PlanError::new("0A000", format!("columns of type {} are not supported", ty.name())).with_hint(
                "arrays of integers, numeric, boolean, text, uuid, bit strings and network types can be stored; \
                 store others as json or jsonb",
            ))
        }
        PgType::Int2Vector | PgType::OidVector => {
            Err(PlanError::new("0A000", format!("columns of type {} are not supported", ty.name())))
        }
        _ => Ok(()),
    }
}

/// The PostgreSQL type a cast converts to.
pub(crate) fn cast_target(data_type: &DataType) -> Result<PgType, PlanError> {
    let declared = declared_type(data_type)?;
    if declared.serial {
        return Err(unsupported_type(data_type));
    }
    Ok(declared.ty)
}
