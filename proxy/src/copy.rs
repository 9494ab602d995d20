//! `COPY ... FROM STDIN` data: PostgreSQL's text format (tab-separated,
//! backslash escapes, `\N` for NULL) and CSV (quotes, doubled quotes, empty
//! unquoted field for NULL).

use sqlmap::CopyPlan;

#[derive(Debug)]
pub struct CopyError(pub String);

/// Rows parsed so far from the CopyData stream; a row may span messages.
pub struct CopyParser {
    plan: CopyPlan,
    pending: Vec<u8>,
    pub rows: Vec<Vec<Option<String>>>,
    header_skipped: bool,
    finished: bool,
    line: usize,
}

impl CopyParser {
    pub fn new(plan: CopyPlan) -> Self {
        CopyParser { plan, pending: Vec::new(), rows: Vec::new(), header_skipped: false, finished: false, line: 0 }
    }

    pub fn plan(&self) -> &CopyPlan {
        &self.plan
    }

    /// Feeds one CopyData payload; complete lines become rows.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), CopyError> {
        self.pending.extend_from_slice(data);
        let mut start = 0;
        loop {
            let Some(end) = self.record_end(start) else { break };
            let record = self.pending[start..end].to_vec();
            start = end + 1;
            self.record(&record)?;
        }
        self.pending.drain(..start);
        Ok(())
    }

    /// The end of the record starting at `start`: a newline outside CSV quotes.
    fn record_end(&self, start: usize) -> Option<usize> {
        let mut quoted = false;
        for (i, b) in self.pending[start..].iter().enumerate() {
            if self.plan.csv && *b as char == self.plan.quote {
                quoted = !quoted;
            } else if *b == b'\n' && !quoted {
                return Some(start + i);
            }
        }
        None
    }

    /// Called at CopyDone: a last line without a newline still counts.
    pub fn finish(&mut self) -> Result<(), CopyError> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.record(&rest)?;
        }
        Ok(())
    }

    fn record(&mut self, raw: &[u8]) -> Result<(), CopyError> {
        self.line += 1;
        if self.finished {
            return Ok(());
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw == b"\\." {
            self.finished = true;
            return Ok(());
        }
        if self.plan.header && !self.header_skipped {
            self.header_skipped = true;
            return Ok(());
        }
        let text = std::str::from_utf8(raw)
            .map_err(|_| CopyError(format!("invalid byte sequence for encoding \"UTF8\" (line {})", self.line)))?;
        let row = if self.plan.csv { self.csv_fields(text)? } else { self.text_fields(text)? };
        self.rows.push(row);
        Ok(())
    }

    fn text_fields(&self, line: &str) -> Result<Vec<Option<String>>, CopyError> {
        let mut out = Vec::new();
        for raw in line.split(self.plan.delimiter) {
            if raw == self.plan.null {
                out.push(None);
                continue;
            }
            let mut s = String::with_capacity(raw.len());
            let mut chars = raw.chars().peekable();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    s.push(c);
                    continue;
                }
                match chars.next() {
                    Some('t') => s.push('\t'),
                    Some('n') => s.push('\n'),
                    Some('r') => s.push('\r'),
                    Some('b') => s.push('\u{8}'),
                    Some('f') => s.push('\u{c}'),
                    Some('v') => s.push('\u{b}'),
                    Some('x') => {
                        let mut v = 0u32;
                        for _ in 0..2 {
                            match chars.peek().and_then(|c| c.to_digit(16)) {
                                Some(d) => {
                                    v = v * 16 + d;
                                    chars.next();
                                }
                                None => break,
                            }
                        }
                        s.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                    }
                    Some(d @ '0'..='7') => {
                        let mut v = d.to_digit(8).unwrap();
                        for _ in 0..2 {
                            match chars.peek().and_then(|c| c.to_digit(8)) {
                                Some(x) => {
                                    v = v * 8 + x;
                                    chars.next();
                                }
                                None => break,
                            }
                        }
                        s.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                    }
                    Some(other) => s.push(other),
                    None => return Err(CopyError(format!("unterminated escape at the end of line {}", self.line))),
                }
            }
            out.push(Some(s));
        }
        Ok(out)
    }

    fn csv_fields(&self, line: &str) -> Result<Vec<Option<String>>, CopyError> {
        let (d, q) = (self.plan.delimiter, self.plan.quote);
        let mut out = Vec::new();
        let mut chars = line.chars().peekable();
        loop {
            let mut s = String::new();
            let mut quoted = false;
            if chars.peek() == Some(&q) {
                quoted = true;
                chars.next();
                loop {
                    match chars.next() {
                        Some(c) if c == q => {
                            if chars.peek() == Some(&q) {
                                s.push(q);
                                chars.next();
                            } else {
                                break;
                            }
                        }
                        Some(c) => s.push(c),
                        None => return Err(CopyError(format!("unterminated CSV quoted field (line {})", self.line))),
                    }
                }
            }
            while let Some(&c) = chars.peek() {
                if c == d {
                    break;
                }
                s.push(c);
                chars.next();
            }
            out.push(if !quoted && s == self.plan.null { None } else { Some(s) });
            if chars.next().is_none() {
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(csv: bool) -> CopyPlan {
        let sql = if csv { "COPY t FROM STDIN WITH (FORMAT csv)" } else { "COPY t FROM STDIN" };
        match sqlmap::plan(sql).unwrap().remove(0) {
            sqlmap::Plan::Copy(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn text_format_with_escapes_nulls_and_split_messages() {
        let mut p = CopyParser::new(plan(false));
        p.feed(b"1\ta\\tb\t\\N\n2\tx").unwrap();
        p.feed(b"y\t\\\\\n\\.\n").unwrap();
        p.finish().unwrap();
        assert_eq!(
            p.rows,
            vec![
                vec![Some("1".into()), Some("a\tb".into()), None],
                vec![Some("2".into()), Some("xy".into()), Some("\\".into())]
            ]
        );
    }

    #[test]
    fn csv_with_quotes_and_empty_null() {
        let mut p = CopyParser::new(plan(true));
        p.feed(b"1,\"a,\"\"b\"\"\",\n2,\"\",x\n").unwrap();
        p.finish().unwrap();
        assert_eq!(
            p.rows,
            vec![
                vec![Some("1".into()), Some("a,\"b\"".into()), None],
                vec![Some("2".into()), Some("".into()), Some("x".into())]
            ]
        );
    }
}
