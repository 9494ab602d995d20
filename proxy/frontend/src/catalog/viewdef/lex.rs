//! Tokens of a stored view query: the text sqlparser printed, so words,
//! numbers, quoted strings and identifiers, and operators, with
//! PostgreSQL's folding of unquoted identifiers to lower case. Anything a
//! view definition does not need (parameters, dollar quoting, bit strings)
//! makes the whole text unreadable here, and the definition is then shown
//! as stored.

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    /// A word or identifier; unquoted ones folded to lower case.
    Word {
        text: String,
        quoted: bool,
    },
    Number(String),
    /// A string literal's value.
    Str(String),
    /// Punctuation or an operator (`(`, `,`, `::`, `<=`, `||`, `->>`).
    Op(String),
}

/// Characters PostgreSQL's lexer reads as parts of an operator.
const OPERATOR_CHARS: &str = "+-*/<>=~!@#%^&|`?";

/// The tokens of `sql`, or `None` for text outside what is read here.
pub(super) fn tokens(sql: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(&c) = chars.get(at) {
        let next = chars.get(at + 1).copied();
        at = match c {
            c if c.is_whitespace() => at + 1,
            '-' if next == Some('-') => skip_line(&chars, at),
            '/' if next == Some('*') => skip_block(&chars, at)?,
            '\'' => quoted(&chars, at, '\'', false, &mut out, Token::Str)?,
            'E' | 'e' if next == Some('\'') => quoted(&chars, at + 1, '\'', true, &mut out, Token::Str)?,
            '"' => quoted(&chars, at, '"', false, &mut out, |text| Token::Word { text, quoted: true })?,
            c if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) => {
                number(&chars, at, &mut out)
            }
            c if c.is_alphabetic() || c == '_' => word(&chars, at, &mut out)?,
            '(' | ')' | ',' | '.' | '[' | ']' | ';' => {
                out.push(Token::Op(c.to_string()));
                at + 1
            }
            ':' if next == Some(':') => {
                out.push(Token::Op("::".into()));
                at + 2
            }
            c if OPERATOR_CHARS.contains(c) => operator(&chars, at, &mut out),
            _ => return None,
        };
    }
    Some(out)
}

fn skip_line(chars: &[char], mut at: usize) -> usize {
    while chars.get(at).is_some_and(|c| *c != '\n') {
        at += 1;
    }
    at
}

fn skip_block(chars: &[char], mut at: usize) -> Option<usize> {
    at += 2;
    loop {
        match (chars.get(at)?, chars.get(at + 1)) {
            ('*', Some('/')) => return Some(at + 2),
            _ => at += 1,
        }
    }
}

/// A quoted string or identifier opening at `open`; a doubled quote
/// stands for itself, and with `escapes` (E'...') backslash escapes count.
fn quoted(
    chars: &[char],
    open: usize,
    quote: char,
    escapes: bool,
    out: &mut Vec<Token>,
    make: impl Fn(String) -> Token,
) -> Option<usize> {
    let mut value = String::new();
    let mut at = open + 1;
    loop {
        let c = *chars.get(at)?;
        if c == quote {
            if chars.get(at + 1) == Some(&quote) {
                value.push(quote);
                at += 2;
                continue;
            }
            out.push(make(value));
            return Some(at + 1);
        }
        if escapes && c == '\\' {
            let escaped = *chars.get(at + 1)?;
            value.push(match escaped {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                'b' => '\u{8}',
                'f' => '\u{c}',
                other => other,
            });
            at += 2;
            continue;
        }
        value.push(c);
        at += 1;
    }
}

fn number(chars: &[char], mut at: usize, out: &mut Vec<Token>) -> usize {
    let mut text = String::new();
    let mut seen_dot = false;
    while let Some(&c) = chars.get(at) {
        let exponent =
            (c == 'e' || c == 'E') && chars.get(at + 1).is_some_and(|n| n.is_ascii_digit() || *n == '+' || *n == '-');
        if c.is_ascii_digit() || (c == '.' && !seen_dot) {
            seen_dot |= c == '.';
            text.push(c);
            at += 1;
        } else if exponent {
            text.push(c);
            if let Some(&sign) = chars.get(at + 1) {
                text.push(sign);
            }
            at += 2;
            while let Some(&d) = chars.get(at).filter(|d| d.is_ascii_digit()) {
                text.push(d);
                at += 1;
            }
            break;
        } else {
            break;
        }
    }
    out.push(Token::Number(text));
    at
}

/// A word; `X'..'`, `B'..'` and `U&'..'` strings are not read here.
fn word(chars: &[char], mut at: usize, out: &mut Vec<Token>) -> Option<usize> {
    let mut text = String::new();
    while let Some(&c) = chars.get(at).filter(|c| c.is_alphanumeric() || **c == '_' || **c == '$') {
        text.push(c.to_ascii_lowercase());
        at += 1;
    }
    if matches!(chars.get(at), Some('\'' | '&')) {
        return None;
    }
    out.push(Token::Word { text, quoted: false });
    Some(at)
}

/// The longest run of operator characters, as PostgreSQL's lexer reads one
/// operator.
fn operator(chars: &[char], mut at: usize, out: &mut Vec<Token>) -> usize {
    let mut text = String::new();
    while let Some(&c) = chars.get(at).filter(|c| OPERATOR_CHARS.contains(**c)) {
        // sqlparser prints spaces around a binary operator, so a sign right
        // after an operator (`a =-1`) is a prefix of the operand.
        if !text.is_empty() && (c == '-' || c == '+') {
            break;
        }
        text.push(c);
        at += 1;
    }
    out.push(Token::Op(text));
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> Token {
        Token::Word { text: text.into(), quoted: false }
    }

    fn op(text: &str) -> Token {
        Token::Op(text.into())
    }

    #[test]
    fn reads_what_sqlparser_prints() {
        let got = tokens(r#"SELECT "A b", x::TEXT, 'it''s', E'x\ny', 1.5e3 FROM t WHERE a <> -1 AND b ->> 'k'"#);
        let expected = vec![
            word("select"),
            Token::Word { text: "A b".into(), quoted: true },
            op(","),
            word("x"),
            op("::"),
            word("text"),
            op(","),
            Token::Str("it's".into()),
            op(","),
            Token::Str("x\ny".into()),
            op(","),
            Token::Number("1.5e3".into()),
            word("from"),
            word("t"),
            word("where"),
            word("a"),
            op("<>"),
            op("-"),
            Token::Number("1".into()),
            word("and"),
            word("b"),
            op("->>"),
            Token::Str("k".into()),
        ];
        assert_eq!(got, Some(expected));
    }

    #[test]
    fn refuses_what_views_do_not_need() {
        assert_eq!(tokens("SELECT $1"), None);
        assert_eq!(tokens("SELECT X'ff'"), None);
        assert_eq!(tokens("SELECT 'open"), None);
        assert_eq!(tokens("SELECT \"open"), None);
        assert_eq!(tokens("SELECT 1 /* open"), None);
        // Non-ASCII identifiers stay as written, ASCII letters fold.
        assert_eq!(tokens("SELECT Ärger"), Some(vec![word("select"), word("Ärger")]));
    }
}
