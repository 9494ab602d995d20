//! PostgreSQL arrays as the emulated catalog holds them: text in
//! PostgreSQL's output form, `{a,"b c",NULL}` for one-dimensional arrays
//! (subscripts from 1) and space-separated `1 2 3` for `int2vector` and
//! `oidvector` (subscripts from 0), so clients reading a column see what
//! PostgreSQL would send. The same forms and functions as the chain's own
//! arrays ([`node_exec::arrayfns`]).

pub(crate) use node_exec::arrayfns::vector;

/// `{a,b}` with PostgreSQL's quoting rules for elements.
pub(crate) fn format<S: AsRef<str>>(elements: &[Option<S>]) -> String {
    sqlmap::arrays::format(elements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use node_exec::arrayfns::PgArray;

    #[test]
    fn round_trip() {
        let a = format(&[Some("a"), None, Some("b c"), Some(""), Some("x\"y")]);
        assert_eq!(a, r#"{a,NULL,"b c","","x\"y"}"#);
        let p = PgArray::parse(&a).unwrap();
        assert_eq!(p.elements, vec![Some("a".into()), None, Some("b c".into()), Some("".into()), Some("x\"y".into())]);
        assert_eq!(p.lower, 1);
        assert_eq!(p.upper(), Some(5));
        assert_eq!(PgArray::parse("{}").unwrap().upper(), None);
    }

    #[test]
    fn vectors_start_at_zero() {
        let v = PgArray::parse(&vector([3, 1])).unwrap();
        assert_eq!((v.get(0), v.get(1), v.get(2)), (Some("3"), Some("1"), None));
        assert_eq!(v.upper(), Some(1));
    }
}
