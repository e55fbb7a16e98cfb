//! Reading scripts as a stream: line by line, each line bounded, so that a pipe is
//! answered as its statements arrive and no input — a 10 GB script, `/dev/zero`, a line
//! that never ends — is held whole in memory.

use std::io::{self, BufRead};

/// The longest statement (or dot-command) a script may hold unless set otherwise: 1 GB.
pub const MAX_STATEMENT: usize = 1 << 30;

/// Why a line could not be read.
#[derive(Debug)]
pub enum LineError {
    /// The line would pass the room left; the rest of it was read and dropped.
    TooLong,
    /// The input holds a NUL byte, which no SQL text does (`/dev/zero`, a binary file).
    Nul,
    Io(io::Error),
}

/// Reads one line (with its `\n`) into `out`, at most `room` bytes of it. `Ok(false)` at
/// the end of the input. A NUL byte is refused as soon as it arrives.
pub fn read_line(input: &mut dyn BufRead, out: &mut Vec<u8>, room: usize) -> Result<bool, LineError> {
    let start = out.len();
    loop {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(LineError::Io(e)),
        };
        if buf.is_empty() {
            return Ok(out.len() > start);
        }
        let (take, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if buf[..take].contains(&0) {
            return Err(LineError::Nul);
        }
        if out.len() - start + take > room {
            out.truncate(start);
            input.consume(take);
            if !done {
                skip_line(input)?;
            }
            return Err(LineError::TooLong);
        }
        out.extend_from_slice(&buf[..take]);
        input.consume(take);
        if done {
            return Ok(true);
        }
    }
}

/// Reads and drops the rest of a line.
fn skip_line(input: &mut dyn BufRead) -> Result<(), LineError> {
    loop {
        let buf = input.fill_buf().map_err(LineError::Io)?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    }
}

/// The whole text of a file that must be read at once (`.import`), refused as soon as it
/// passes `limit` bytes or shows a NUL byte, so `/dev/zero` costs nothing.
pub fn read_text(path: &str, limit: usize) -> Result<String, String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let (mut bytes, mut chunk) = (Vec::new(), vec![0u8; 64 * 1024]);
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("cannot read {path}: {e}")),
        };
        if chunk[..n].contains(&0) {
            return Err(format!("cannot read {path}: it holds a NUL byte, so it is not text"));
        }
        if bytes.len() + n > limit {
            return Err(format!("cannot read {path}: it is larger than {limit} bytes"));
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8(bytes).map_err(|_| format!("cannot read {path}: it is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded_and_nul_is_refused_at_once() {
        let mut input: &[u8] = b"SELECT 1;\nSELECT 2;";
        let mut line = Vec::new();
        assert!(read_line(&mut input, &mut line, 100).unwrap());
        assert_eq!(line, b"SELECT 1;\n");
        line.clear();
        assert!(read_line(&mut input, &mut line, 100).unwrap());
        assert_eq!(line, b"SELECT 2;");
        line.clear();
        assert!(!read_line(&mut input, &mut line, 100).unwrap());

        let mut input: &[u8] = b"0123456789\nok\n";
        assert!(matches!(read_line(&mut input, &mut line, 5), Err(LineError::TooLong)));
        assert!(line.is_empty());
        assert!(read_line(&mut input, &mut line, 5).unwrap());
        assert_eq!(line, b"ok\n");

        let mut zeros = io::BufReader::new(io::repeat(0));
        line.clear();
        assert!(matches!(read_line(&mut zeros, &mut line, usize::MAX), Err(LineError::Nul)));
    }
}
