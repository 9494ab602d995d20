//! PostgreSQL arrays as the emulated catalog holds them: text in
//! PostgreSQL's output form, `{a,"b c",NULL}` for one-dimensional arrays
//! (subscripts from 1) and space-separated `1 2 3` for `int2vector` and
//! `oidvector` (subscripts from 0), so clients reading a column see what
//! PostgreSQL would send.

/// A parsed array: its elements and the subscript of the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PgArray {
    pub elements: Vec<Option<String>>,
    pub lower: i64,
}

impl PgArray {
    pub(crate) fn parse(text: &str) -> Option<PgArray> {
        let t = text.trim();
        if t.starts_with('{') {
            return Some(PgArray { elements: node_core::pgarray::parse(t)?, lower: 1 });
        }
        // int2vector / oidvector: integers separated by spaces.
        let elements: Option<Vec<Option<String>>> =
            t.split_whitespace().map(|part| part.parse::<i64>().ok().map(|_| Some(part.to_string()))).collect();
        Some(PgArray { elements: elements?, lower: 0 })
    }

    pub(crate) fn upper(&self) -> Option<i64> {
        (!self.elements.is_empty()).then(|| self.lower + self.elements.len() as i64 - 1)
    }

    pub(crate) fn get(&self, subscript: i64) -> Option<&str> {
        let index = usize::try_from(subscript - self.lower).ok()?;
        self.elements.get(index)?.as_deref()
    }
}

/// `{a,b}` with PostgreSQL's quoting rules for elements.
pub(crate) fn format<S: AsRef<str>>(elements: &[Option<S>]) -> String {
    node_core::pgarray::format(elements)
}

/// An `int2vector` / `oidvector`: `1 2 3`.
pub(crate) fn vector<I: IntoIterator<Item = i64>>(items: I) -> String {
    items.into_iter().map(|i| i.to_string()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

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
