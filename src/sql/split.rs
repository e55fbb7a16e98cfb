//! Cuts script text into statements at the semicolons outside quotes and comments, so
//! that one bad statement does not hide the ones after it. A line that starts with `.`
//! where a statement would start is a dot-command and ends at the end of its line.
//! A `CREATE TRIGGER` statement holds statements of its own: it ends at the `;` after
//! its `END`, which comes right after the `;` of its last statement.

/// One piece of a script: its text and where it starts in the whole script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece<'a> {
    pub text: &'a str,
    pub offset: usize,
    pub is_dot: bool,
    /// False for a statement cut off by the end of input without a `;`.
    pub terminated: bool,
}

/// Splits a script. Pieces holding only whitespace and comments are dropped.
pub fn split(script: &str) -> Vec<Piece<'_>> {
    let b = script.as_bytes();
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if only_space_and_comments(&script[start..i]) && b[i] == b'.' {
            let end = script[i..].find('\n').map_or(b.len(), |n| i + n);
            pieces.push(Piece { text: &script[i..end], offset: i, is_dot: true, terminated: true });
            start = end;
            i = end;
            continue;
        }
        match b[i] {
            // E'…': backslash escapes, so `\'` does not end it.
            b'\'' if is_e_prefix(b, i) => i = skip_escaped(b, i),
            q @ (b'\'' | b'"' | b'`') => i = skip_quoted(b, i, q),
            b'[' => i = b[i..].iter().position(|&c| c == b']').map_or(b.len(), |n| i + n + 1),
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |n| i + n)
            }
            b'/' if b.get(i + 1) == Some(&b'*') => i = script[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2),
            b';' if in_trigger_body(&script[start..i]) => i += 1,
            b';' => {
                push_statement(&mut pieces, script, start, i + 1, true);
                start = i + 1;
                i += 1;
            }
            // Step over a whole character so that every cut falls on a char boundary.
            c => i += utf8_width(c),
        }
    }
    push_statement(&mut pieces, script, start, b.len(), false);
    pieces
}

/// True when `text` is a CREATE TRIGGER statement whose body has not ended yet.
fn in_trigger_body(text: &str) -> bool {
    let mut rest = text;
    let mut words = [""; 3];
    for w in &mut words {
        rest = skip_space_and_comments(rest);
        let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        (*w, rest) = rest.split_at(end);
    }
    let is = |w: &str, k: &str| w.eq_ignore_ascii_case(k);
    let trigger = is(words[0], "create")
        && (is(words[1], "trigger") || (is(words[1], "temp") || is(words[1], "temporary")) && is(words[2], "trigger"));
    if !trigger {
        return false;
    }
    let t = text.trim_end();
    let ends = t.len() >= 3
        && t.is_char_boundary(t.len() - 3)
        && is(&t[t.len() - 3..], "end")
        && !t[..t.len() - 3].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && t[..t.len() - 3].trim_end().ends_with(';');
    !ends
}

fn skip_space_and_comments(text: &str) -> &str {
    let mut rest = text.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.find('\n').map_or("", |n| &r[n..]).trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map_or("", |n| &r[n + 2..]).trim_start();
        } else {
            return rest;
        }
    }
}

fn utf8_width(first_byte: u8) -> usize {
    match first_byte {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Whether the quote at `i` opens an `E'…'` string: an `e` alone before it.
fn is_e_prefix(b: &[u8], i: usize) -> bool {
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
    i >= 1 && matches!(b[i - 1], b'e' | b'E') && (i < 2 || !is_word(b[i - 2]))
}

fn skip_escaped(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
            b'\'' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

fn skip_quoted(b: &[u8], mut i: usize, q: u8) -> usize {
    i += 1;
    while i < b.len() {
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

fn push_statement<'a>(out: &mut Vec<Piece<'a>>, script: &'a str, start: usize, end: usize, terminated: bool) {
    let text = &script[start..end];
    if only_space_and_comments(text.trim_end_matches(';')) {
        return;
    }
    let lead = text.len() - text.trim_start().len();
    out.push(Piece { text: &text[lead..], offset: start + lead, is_dot: false, terminated });
}

/// True when the text holds nothing but whitespace and comments.
pub fn only_space_and_comments(text: &str) -> bool {
    skip_space_and_comments(text).is_empty()
}

/// Line and column (both 1-based) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_quotes_and_comments() {
        let s = "SELECT 'a;b'; -- c;\n.tables\nSELECT \"x;\" /* ; */ ;\nSELECT 3";
        let p = split(s);
        let texts: Vec<&str> = p.iter().map(|p| p.text).collect();
        assert_eq!(texts, ["SELECT 'a;b';", ".tables", "SELECT \"x;\" /* ; */ ;", "SELECT 3"]);
        assert!(p[1].is_dot);
        assert!(!p[3].terminated);
        assert_eq!(line_col(s, p[2].offset), (3, 1));
    }

    #[test]
    fn e_strings_keep_their_escaped_quotes() {
        let s = "SELECT E'it\\'s;'; SELECT type='a;b'; SELECT e'\\\\';";
        let texts: Vec<&str> = split(s).iter().map(|p| p.text).collect();
        assert_eq!(texts, ["SELECT E'it\\'s;';", "SELECT type='a;b';", "SELECT e'\\\\';"]);
    }

    #[test]
    fn cuts_fall_on_character_boundaries() {
        let p = split("SELECT é; ü\n.x");
        let texts: Vec<&str> = p.iter().map(|p| p.text).collect();
        assert_eq!(texts, ["SELECT é;", "ü\n.x"]);
    }

    #[test]
    fn a_trigger_is_one_statement_with_its_body() {
        let s = "CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); \
                 SELECT CASE WHEN 1 THEN 2 END; END; SELECT 1; create temp trigger u delete on a begin select 1; end";
        let texts: Vec<&str> = split(s).iter().map(|p| p.text).collect();
        assert_eq!(
            texts,
            [
                "CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); SELECT CASE WHEN 1 THEN 2 END; END;",
                "SELECT 1;",
                "create temp trigger u delete on a begin select 1; end"
            ]
        );
        // Unfinished: the body's semicolons do not end it.
        let p = split("CREATE TRIGGER t DELETE ON a BEGIN SELECT 1;");
        assert_eq!(p.len(), 1);
        assert!(!p[0].terminated);
    }

    #[test]
    fn comments_alone_are_not_statements() {
        assert!(split("-- nothing\n/* at all */ ;").is_empty());
    }
}
