//! Cuts script text into statements at the semicolons outside quotes and comments, so
//! that one bad statement does not hide the ones after it. A line that starts with `.`
//! where a statement would start is a dot-command and ends at the end of its line.

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
            q @ (b'\'' | b'"' | b'`') => i = skip_quoted(b, i, q),
            b'[' => i = b[i..].iter().position(|&c| c == b']').map_or(b.len(), |n| i + n + 1),
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |n| i + n)
            }
            b'/' if b.get(i + 1) == Some(&b'*') => i = script[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2),
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

fn utf8_width(first_byte: u8) -> usize {
    match first_byte {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
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
    let mut rest = text.trim_start();
    loop {
        if rest.is_empty() {
            return true;
        }
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.find('\n').map_or("", |n| &r[n..]).trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map_or("", |n| &r[n + 2..]).trim_start();
        } else {
            return false;
        }
    }
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
    fn cuts_fall_on_character_boundaries() {
        let p = split("SELECT é; ü\n.x");
        let texts: Vec<&str> = p.iter().map(|p| p.text).collect();
        assert_eq!(texts, ["SELECT é;", "ü\n.x"]);
    }

    #[test]
    fn comments_alone_are_not_statements() {
        assert!(split("-- nothing\n/* at all */ ;").is_empty());
    }
}
