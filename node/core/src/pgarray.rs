//! One-dimensional PostgreSQL arrays in their text form, `{a,"b c",NULL}`:
//! what a client sends for a `text[]` parameter and what PostgreSQL prints.
//! Pure, so the executor (a consensus rule: `#>` paths) and the front
//! end's catalog read them alike.

/// The elements of `{...}` (`None` for an unquoted NULL), with
/// PostgreSQL's rules: whitespace around an unquoted element is dropped,
/// a quoted one keeps everything and takes `\` escapes. `None` when the
/// text is not such an array.
pub fn parse(text: &str) -> Option<Vec<Option<String>>> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    parse_elements(inner)
}

fn parse_elements(inner: &str) -> Option<Vec<Option<String>>> {
    let mut out = Vec::new();
    if inner.trim().is_empty() {
        return Some(out);
    }
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        let quoted = chars.peek() == Some(&'"');
        if quoted {
            chars.next();
            loop {
                match chars.next()? {
                    '\\' => value.push(chars.next()?),
                    '"' => break,
                    c => value.push(c),
                }
            }
            while chars.peek().is_some_and(|c| *c != ',') {
                chars.next();
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
            value = value.trim().to_string();
        }
        let null = !quoted && value.eq_ignore_ascii_case("NULL");
        out.push((!null).then_some(value));
        match chars.next() {
            Some(',') => continue,
            None => return Some(out),
            Some(_) => return None,
        }
    }
}

/// `{a,b}` with PostgreSQL's quoting rules for elements.
pub fn format<S: AsRef<str>>(elements: &[Option<S>]) -> String {
    let parts: Vec<String> = elements
        .iter()
        .map(|e| match e {
            None => "NULL".to_string(),
            Some(s) => quote_element(s.as_ref()),
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

fn quote_element(s: &str) -> String {
    let needs = s.is_empty()
        || s.eq_ignore_ascii_case("NULL")
        || s.chars().any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_whitespace());
    if !needs {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let a = format(&[Some("a"), None, Some("b c"), Some(""), Some("x\"y"), Some("ü,é")]);
        assert_eq!(a, r#"{a,NULL,"b c","","x\"y","ü,é"}"#);
        let parsed = parse(&a).unwrap();
        let expected = [Some("a"), None, Some("b c"), Some(""), Some("x\"y"), Some("ü,é")];
        assert_eq!(parsed, expected.map(|e| e.map(str::to_string)));
        assert_eq!(parse("{}").unwrap(), Vec::<Option<String>>::new());
        assert_eq!(parse(" { key1 , subkey1 } ").unwrap(), [Some("key1".to_string()), Some("subkey1".to_string())]);
    }

    #[test]
    fn text_that_is_no_array_is_refused() {
        for text in ["", "a,b", "{a", "{\"a}", "{\"a\" b}x", "{a\\"] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
