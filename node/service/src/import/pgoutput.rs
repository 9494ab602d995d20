//! PostgreSQL's `pgoutput` logical replication messages (protocol version
//! 1), as a source's walsender sends them inside `XLogData`: relations and
//! their row changes. Begin, Commit and logical messages are parsed by the
//! transport (`pgwire-replication`); origins and types carry nothing the
//! importer needs. Every length is checked: a short or malformed message is
//! an error, never a panic.

/// A column of a relation as the stream describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RelationColumn {
    pub name: String,
    pub type_oid: u32,
    pub typmod: i32,
}

/// A relation's schema as of the changes that follow it in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relation {
    pub id: u32,
    pub namespace: String,
    pub name: String,
    pub columns: Vec<RelationColumn>,
}

/// One column's value in a tuple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cell {
    Null,
    /// An unchanged TOASTed value: an UPDATE leaves it as it is.
    Unchanged,
    /// The value's text form (the type's output function).
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Message {
    Relation(Relation),
    Insert {
        relation: u32,
        new: Vec<Cell>,
    },
    /// `old`: the old key (or whole old row with REPLICA IDENTITY FULL),
    /// sent only when the key changed or the identity is FULL.
    Update {
        relation: u32,
        old: Option<Vec<Cell>>,
        new: Vec<Cell>,
    },
    Delete {
        relation: u32,
        old: Vec<Cell>,
    },
    Truncate {
        relations: Vec<u32>,
    },
    /// Anything else (Origin, Type, ...): nothing to apply.
    Other(u8),
}

/// A message that does not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed(pub String);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a malformed pgoutput message: {}", self.0)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], Malformed> {
        match (self.bytes.get(..n), self.bytes.get(n..)) {
            (Some(head), Some(rest)) => {
                self.bytes = rest;
                Ok(head)
            }
            _ => Err(Malformed(format!("{what}: {n} bytes wanted, {} left", self.bytes.len()))),
        }
    }

    fn u8(&mut self, what: &str) -> Result<u8, Malformed> {
        self.take(1, what).map(|b| b.first().copied().unwrap_or(0))
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], Malformed> {
        let bytes = self.take(N, what)?;
        <[u8; N]>::try_from(bytes).map_err(|_| Malformed(what.to_string()))
    }

    fn u32(&mut self, what: &str) -> Result<u32, Malformed> {
        self.array::<4>(what).map(u32::from_be_bytes)
    }

    fn i32(&mut self, what: &str) -> Result<i32, Malformed> {
        self.array::<4>(what).map(i32::from_be_bytes)
    }

    fn count(&mut self, what: &str) -> Result<usize, Malformed> {
        let n = i16::from_be_bytes(self.array::<2>(what)?);
        usize::try_from(n).map_err(|_| Malformed(format!("{what}: a negative count {n}")))
    }

    /// A NUL-terminated string.
    fn cstr(&mut self, what: &str) -> Result<String, Malformed> {
        let end = self.bytes.iter().position(|&b| b == 0).ok_or_else(|| Malformed(format!("{what}: no NUL")))?;
        let text = self.take(end, what)?;
        self.take(1, what)?;
        String::from_utf8(text.to_vec()).map_err(|_| Malformed(format!("{what}: not UTF-8")))
    }

    fn tuple(&mut self) -> Result<Vec<Cell>, Malformed> {
        let n = self.count("a tuple's column count")?;
        // Each cell takes at least one byte: a count past the message's end
        // is refused before anything is reserved for it.
        if n > self.bytes.len() {
            return Err(Malformed(format!("a tuple of {n} columns in {} bytes", self.bytes.len())));
        }
        let mut cells = Vec::with_capacity(n);
        for _ in 0..n {
            cells.push(match self.u8("a cell's kind")? {
                b'n' => Cell::Null,
                b'u' => Cell::Unchanged,
                b't' => {
                    let len = self.i32("a value's length")?;
                    let len = usize::try_from(len).map_err(|_| Malformed(format!("a value's length {len}")))?;
                    let text = self.take(len, "a value")?;
                    Cell::Text(
                        String::from_utf8(text.to_vec())
                            .map_err(|_| Malformed("a text value that is not UTF-8".into()))?,
                    )
                }
                b'b' => return Err(Malformed("a binary value (the importer asks for text)".into())),
                other => return Err(Malformed(format!("a cell of kind {other:#04x}"))),
            });
        }
        Ok(cells)
    }
}

/// Decodes one pgoutput message.
pub(crate) fn decode(bytes: &[u8]) -> Result<Message, Malformed> {
    let mut r = Reader { bytes };
    let tag = r.u8("the message tag")?;
    Ok(match tag {
        b'R' => {
            let id = r.u32("the relation id")?;
            let namespace = r.cstr("the namespace")?;
            let name = r.cstr("the relation name")?;
            let _identity = r.u8("the replica identity")?;
            let n = r.count("the column count")?;
            if n > r.bytes.len() {
                return Err(Malformed(format!("{n} columns in {} bytes", r.bytes.len())));
            }
            let mut columns = Vec::with_capacity(n);
            for _ in 0..n {
                let _flags = r.u8("a column's flags")?;
                let name = r.cstr("a column's name")?;
                let type_oid = r.u32("a column's type")?;
                let typmod = r.i32("a column's type modifier")?;
                columns.push(RelationColumn { name, type_oid, typmod });
            }
            Message::Relation(Relation { id, namespace, name, columns })
        }
        b'I' => {
            let relation = r.u32("the relation id")?;
            match r.u8("the tuple's kind")? {
                b'N' => Message::Insert { relation, new: r.tuple()? },
                other => return Err(Malformed(format!("an insert's tuple of kind {other:#04x}"))),
            }
        }
        b'U' => {
            let relation = r.u32("the relation id")?;
            let (old, new) = match r.u8("the tuple's kind")? {
                b'K' | b'O' => {
                    let old = r.tuple()?;
                    match r.u8("the new tuple's kind")? {
                        b'N' => (Some(old), r.tuple()?),
                        other => return Err(Malformed(format!("an update's new tuple of kind {other:#04x}"))),
                    }
                }
                b'N' => (None, r.tuple()?),
                other => return Err(Malformed(format!("an update's tuple of kind {other:#04x}"))),
            };
            Message::Update { relation, old, new }
        }
        b'D' => {
            let relation = r.u32("the relation id")?;
            match r.u8("the tuple's kind")? {
                b'K' | b'O' => Message::Delete { relation, old: r.tuple()? },
                other => return Err(Malformed(format!("a delete's tuple of kind {other:#04x}"))),
            }
        }
        b'T' => {
            let n = r.i32("the relation count")?;
            let n = usize::try_from(n).map_err(|_| Malformed(format!("a relation count {n}")))?;
            let _options = r.u8("the truncate options")?;
            if n > r.bytes.len() / 4 {
                return Err(Malformed(format!("{n} relations in {} bytes", r.bytes.len())));
            }
            let relations = (0..n).map(|_| r.u32("a relation id")).collect::<Result<_, _>>()?;
            Message::Truncate { relations }
        }
        other => Message::Other(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relation_bytes() -> Vec<u8> {
        let mut b = vec![b'R'];
        b.extend(16385u32.to_be_bytes());
        b.extend(b"public\0items\0d");
        b.extend(2i16.to_be_bytes());
        b.push(1);
        b.extend(b"id\0");
        b.extend(23u32.to_be_bytes());
        b.extend((-1i32).to_be_bytes());
        b.push(0);
        b.extend(b"price\0");
        b.extend(1700u32.to_be_bytes());
        b.extend(((12 << 16 | 2) + 4i32).to_be_bytes());
        b
    }

    #[test]
    fn messages_decode_as_pgoutput_writes_them() {
        let relation = decode(&relation_bytes()).unwrap();
        let Message::Relation(r) = relation else { panic!("{relation:?}") };
        assert_eq!((r.id, r.namespace.as_str(), r.name.as_str()), (16385, "public", "items"));
        assert_eq!(r.columns[1], RelationColumn { name: "price".into(), type_oid: 1700, typmod: (12 << 16 | 2) + 4 });

        let mut update = vec![b'U'];
        update.extend(16385u32.to_be_bytes());
        update.push(b'K');
        update.extend(2i16.to_be_bytes());
        update.extend(b"t\0\0\0\x017n");
        update.push(b'N');
        update.extend(2i16.to_be_bytes());
        update.extend(b"t\0\0\0\x018u");
        assert_eq!(
            decode(&update).unwrap(),
            Message::Update {
                relation: 16385,
                old: Some(vec![Cell::Text("7".into()), Cell::Null]),
                new: vec![Cell::Text("8".into()), Cell::Unchanged],
            }
        );

        let mut truncate = vec![b'T'];
        truncate.extend(2i32.to_be_bytes());
        truncate.push(0);
        truncate.extend(1u32.to_be_bytes());
        truncate.extend(2u32.to_be_bytes());
        assert_eq!(decode(&truncate).unwrap(), Message::Truncate { relations: vec![1, 2] });
        assert_eq!(decode(b"Ysomething").unwrap(), Message::Other(b'Y'));
    }

    #[test]
    fn every_cut_of_a_message_is_an_error_not_a_panic() {
        let mut insert = vec![b'I'];
        insert.extend(16385u32.to_be_bytes());
        insert.push(b'N');
        insert.extend(1i16.to_be_bytes());
        insert.extend(b"t\0\0\0\x05hello");
        assert_eq!(
            decode(&insert).unwrap(),
            Message::Insert { relation: 16385, new: vec![Cell::Text("hello".into())] }
        );
        for message in [insert, relation_bytes()] {
            for cut in 0..message.len() {
                assert!(decode(message.get(..cut).unwrap()).is_err(), "a message cut at {cut} decoded");
            }
        }
        // Counts and lengths past the end, and negative ones.
        assert!(decode(b"I\0\0\0\x01N\x7f\xff").is_err());
        assert!(decode(b"I\0\0\0\x01N\0\x01t\x7f\xff\xff\xff").is_err());
        assert!(decode(b"I\0\0\0\x01N\0\x01t\xff\xff\xff\xff").is_err());
        assert!(decode(b"T\x7f\xff\xff\xff\0").is_err());
        assert!(decode(b"R\0\0\0\x01p\0t\0d\xff\xff").is_err());
    }
}
