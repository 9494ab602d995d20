//! COPY data: `COPY ... FROM STDIN` in PostgreSQL's text format
//! (tab-separated, backslash escapes, `\N` for NULL) and CSV (quotes,
//! doubled quotes, empty unquoted field for NULL); `COPY ... TO STDOUT` in
//! those and the binary format.

use sqlmap::CopyPlan;

#[derive(Debug)]
pub struct CopyError(pub String);

/// Rows parsed so far from the CopyData stream; a row may span messages.
pub struct CopyParser {
    plan: CopyPlan,
    /// The type OIDs of the loaded columns, by which binary fields decode.
    oids: Vec<u32>,
    /// Binary format: the signature and header extension were read.
    binary_header: bool,
    pending: Vec<u8>,
    pub rows: Vec<Vec<Option<String>>>,
    header_skipped: bool,
    finished: bool,
    line: usize,
    /// Bytes of `pending` already scanned for the end of its first record,
    /// and whether that scan ended inside CSV quotes.
    scanned: usize,
    quoted: bool,
}

impl CopyParser {
    /// A parser of `plan`'s data; `oids` are the loaded columns' types.
    pub fn new(plan: CopyPlan, oids: Vec<u32>) -> Self {
        CopyParser {
            plan,
            oids,
            binary_header: false,
            pending: Vec::new(),
            rows: Vec::new(),
            header_skipped: false,
            finished: false,
            line: 0,
            scanned: 0,
            quoted: false,
        }
    }

    pub fn plan(&self) -> &CopyPlan {
        &self.plan
    }

    /// Feeds one CopyData payload; complete lines (binary: tuples) become rows.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), CopyError> {
        let mut pending = std::mem::take(&mut self.pending);
        pending.extend_from_slice(data);
        if self.plan.binary {
            let result = self.binary_tuples(&pending);
            let consumed = result.as_ref().copied().unwrap_or(0);
            pending.drain(..consumed.min(pending.len()));
            self.pending = pending;
            return result.map(|_| ());
        }
        let mut consumed = 0;
        let result = loop {
            let rest = pending.get(consumed..).unwrap_or_default();
            let Some((record, _newline)) = self.record_end(rest).and_then(|end| rest.split_at_checked(end)) else {
                break Ok(());
            };
            consumed += record.len() + 1;
            if let Err(e) = self.record(record) {
                break Err(e);
            }
        };
        pending.drain(..consumed.min(pending.len()));
        self.pending = pending;
        result
    }

    /// Where the record at the start of `rest` ends: a newline outside CSV
    /// quotes. What an earlier call scanned of it is not scanned again, so a
    /// long record sent in many small messages costs linear time.
    fn record_end(&mut self, rest: &[u8]) -> Option<usize> {
        let from = self.scanned.min(rest.len());
        for (i, b) in rest.iter().enumerate().skip(from) {
            if self.plan.csv && *b as char == self.plan.quote {
                self.quoted = !self.quoted;
            } else if *b == b'\n' && !self.quoted {
                self.scanned = 0;
                return Some(i);
            }
        }
        self.scanned = rest.len();
        None
    }

    /// The complete tuples at the start of `data` (binary format) as rows
    /// of text fields (each field decoded by its column's type and printed
    /// as PostgreSQL prints it); returns the bytes they took. Lengths are
    /// checked before anything is read.
    fn binary_tuples(&mut self, data: &[u8]) -> Result<usize, CopyError> {
        const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";
        let bad = |what: &str| CopyError(format!("invalid COPY file format: {what}"));
        let int = |at: usize, width: usize| -> Option<i64> {
            let b = data.get(at..at.checked_add(width)?)?;
            Some(match width {
                2 => i64::from(i16::from_be_bytes([*b.first()?, *b.get(1)?])),
                _ => i64::from(i32::from_be_bytes([*b.first()?, *b.get(1)?, *b.get(2)?, *b.get(3)?])),
            })
        };
        // No such table: the load reports that at CopyDone.
        if self.oids.is_empty() {
            self.finished = true;
            return Ok(data.len());
        }
        let mut at = 0;
        if !self.binary_header {
            let Some(start) = data.get(..SIGNATURE.len()) else { return Ok(0) };
            if start != SIGNATURE {
                return Err(bad("the signature is missing"));
            }
            let (Some(flags), Some(extension)) = (int(11, 4), int(15, 4)) else { return Ok(0) };
            if flags & (1 << 16) != 0 {
                return Err(bad("rows with OIDs are not supported"));
            }
            let extension = usize::try_from(extension).map_err(|_| bad("negative header extension"))?;
            let Some(end) = 19usize.checked_add(extension).filter(|end| *end <= data.len()) else { return Ok(0) };
            self.binary_header = true;
            at = end;
        }
        while !self.finished {
            let Some(count) = int(at, 2) else { break };
            if count == -1 {
                self.finished = true;
                at += 2;
                break;
            }
            if usize::try_from(count).ok() != Some(self.oids.len()) {
                return Err(bad(&format!("row {} has {count} fields, expected {}", self.line + 1, self.oids.len())));
            }
            let mut cursor = at + 2;
            let mut row = Vec::with_capacity(self.oids.len());
            let mut complete = true;
            for oid in &self.oids {
                let Some(len) = int(cursor, 4) else {
                    complete = false;
                    break;
                };
                cursor += 4;
                if len == -1 {
                    row.push(None);
                    continue;
                }
                let len = usize::try_from(len).map_err(|_| bad("negative field length"))?;
                let Some(bytes) = cursor.checked_add(len).and_then(|end| data.get(cursor..end)) else {
                    complete = false;
                    break;
                };
                cursor += len;
                let value = crate::format::param_value(Some(bytes), *oid, true)
                    .map_err(|e| CopyError(format!("COPY, row {}: {}", self.line + 1, e.0)))?;
                let text = proxy_frontend::types::to_text(&value, &proxy_frontend::types::ColumnType::plain(*oid));
                row.push(text.map(|b| String::from_utf8_lossy(&b).into_owned()));
            }
            if !complete {
                break;
            }
            self.line += 1;
            self.rows.push(row);
            at = cursor;
        }
        Ok(at)
    }

    /// Called at CopyDone: a last line without a newline still counts.
    pub fn finish(&mut self) -> Result<(), CopyError> {
        if self.plan.binary {
            return if self.finished && self.pending.is_empty() {
                Ok(())
            } else {
                Err(CopyError("invalid COPY file format: the data ends inside a row or before the trailer".into()))
            };
        }
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
                        let mut v = u32::from(d) - u32::from('0');
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

/// `COPY ... TO STDOUT`: the CopyOutResponse, one CopyData per row (after
/// the header line or the binary signature), CopyDone, and the `COPY n`
/// tag. Values print as in a query's text results (or its binary ones).
pub(crate) fn copy_out(
    format: &sqlmap::CopyFormat,
    columns: &[proxy_frontend::Column],
    rows: &[Vec<node_core::value::Value>],
) -> Result<Vec<pgwire::messages::PgWireBackendMessage>, crate::error::PgError> {
    use pgwire::messages::copy::{CopyData, CopyDone, CopyOutResponse};
    use pgwire::messages::response::CommandComplete;
    use pgwire::messages::PgWireBackendMessage as M;
    let n = columns.len();
    let code = i16::from(format.binary);
    let mut out = Vec::with_capacity(rows.len() + 4);
    out.push(M::CopyOutResponse(CopyOutResponse::new(code as i8, n as i16, vec![code; n])));
    let data = |bytes: Vec<u8>| M::CopyData(CopyData::new(bytes.into()));
    if format.binary {
        // Signature, flags and header extension length lead the first
        // message (a row, or the trailer), as PostgreSQL sends them and
        // clients read them.
        let mut header = [b"PGCOPY\n\xff\r\n\0".as_slice(), &0i32.to_be_bytes(), &0i32.to_be_bytes()].concat();
        for row in rows {
            let mut record = std::mem::take(&mut header);
            record.extend_from_slice(&(n as i16).to_be_bytes());
            for (value, column) in row.iter().zip(columns) {
                let binary = crate::format::to_binary(value, &column.ty);
                match binary.map_err(|e| crate::error::PgError::new("22P02", e.0))? {
                    None => record.extend_from_slice(&(-1i32).to_be_bytes()),
                    Some(bytes) => {
                        let len = i32::try_from(bytes.len())
                            .map_err(|_| crate::error::PgError::new("54000", "a value is too long for COPY"))?;
                        record.extend_from_slice(&len.to_be_bytes());
                        record.extend_from_slice(&bytes);
                    }
                }
            }
            out.push(data(record));
        }
        header.extend_from_slice(&(-1i16).to_be_bytes());
        out.push(data(header));
    } else {
        if format.header {
            let names: Vec<Option<Vec<u8>>> = columns.iter().map(|c| Some(c.name.clone().into_bytes())).collect();
            out.push(data(text_record(format, &names)));
        }
        for row in rows {
            let fields: Vec<Option<Vec<u8>>> =
                row.iter().zip(columns).map(|(v, c)| proxy_frontend::types::to_text(v, &c.ty)).collect();
            out.push(data(text_record(format, &fields)));
        }
    }
    out.push(M::CopyDone(CopyDone::new()));
    out.push(M::CommandComplete(CommandComplete::new(format!("COPY {}", rows.len()))));
    Ok(out)
}

/// One line of COPY text or CSV data, with its newline.
fn text_record(format: &sqlmap::CopyFormat, fields: &[Option<Vec<u8>>]) -> Vec<u8> {
    let mut line = Vec::new();
    let mut delimiter = [0u8; 4];
    let delimiter = format.delimiter.encode_utf8(&mut delimiter).as_bytes();
    let mut quote = [0u8; 4];
    let quote = format.quote.encode_utf8(&mut quote).as_bytes();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            line.extend_from_slice(delimiter);
        }
        let Some(value) = field else {
            line.extend_from_slice(format.null.as_bytes());
            continue;
        };
        if format.csv {
            // Quoted when it holds the delimiter, a quote or a line break,
            // or reads as the NULL text.
            let contains = |needle: &[u8]| !needle.is_empty() && value.windows(needle.len()).any(|w| w == needle);
            let quoted = contains(delimiter)
                || contains(quote)
                || value.iter().any(|b| matches!(b, b'\n' | b'\r'))
                || value.as_slice() == format.null.as_bytes();
            if quoted {
                line.extend_from_slice(quote);
                let mut rest = value.as_slice();
                while !rest.is_empty() {
                    if rest.starts_with(quote) {
                        line.extend_from_slice(quote);
                        line.extend_from_slice(quote);
                        rest = rest.get(quote.len()..).unwrap_or_default();
                    } else {
                        line.extend_from_slice(rest.get(..1).unwrap_or_default());
                        rest = rest.get(1..).unwrap_or_default();
                    }
                }
                line.extend_from_slice(quote);
            } else {
                line.extend_from_slice(value);
            }
        } else {
            // Text format: backslash escapes for the characters that would
            // end the field or the line.
            for &b in value {
                match b {
                    b'\\' => line.extend_from_slice(b"\\\\"),
                    b'\n' => line.extend_from_slice(b"\\n"),
                    b'\r' => line.extend_from_slice(b"\\r"),
                    b'\t' => line.extend_from_slice(b"\\t"),
                    0x08 => line.extend_from_slice(b"\\b"),
                    0x0c => line.extend_from_slice(b"\\f"),
                    0x0b => line.extend_from_slice(b"\\v"),
                    b if delimiter == [b] => line.extend_from_slice(&[b'\\', b]),
                    b => line.push(b),
                }
            }
        }
    }
    line.push(b'\n');
    line
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
        let mut p = CopyParser::new(plan(false), vec![]);
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
        let mut p = CopyParser::new(plan(true), vec![]);
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

    /// A quoted newline in a record split across messages: the scan resumes
    /// where it stopped, inside the quotes.
    #[test]
    fn csv_record_across_messages() {
        let mut p = CopyParser::new(plan(true), vec![]);
        p.feed(b"1,\"a\n").unwrap();
        p.feed(b"b").unwrap();
        assert!(p.rows.is_empty());
        p.feed(b"\"\n2,").unwrap();
        p.feed(b"c\n").unwrap();
        p.finish().unwrap();
        assert_eq!(p.rows, vec![vec![Some("1".into()), Some("a\nb".into())], vec![Some("2".into()), Some("c".into())]]);
    }
}
