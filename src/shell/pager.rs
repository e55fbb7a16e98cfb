//! A long result through a pager (`$PAGER`, else `less -FRX`), as psql does: output is
//! held back until it passes the screen's height, then handed to the pager, which gets
//! the rest as it comes; a result that fits is printed as usual.

use std::io::Write;
use std::process::{Child, Command, Stdio};

/// The command that pages: `$PAGER`, else `less -FRX` (quit at once when the text fits,
/// keep colours, leave the text on the screen).
pub fn pager_command() -> String {
    std::env::var("PAGER").ok().filter(|p| !p.trim().is_empty()).unwrap_or_else(|| "less -FRX".to_string())
}

/// Writes to `out` until the text passes `height` lines, then to a pager.
pub struct Paging<'a> {
    out: &'a mut dyn Write,
    height: usize,
    held: Vec<u8>,
    lines: usize,
    child: Option<Child>,
    /// Set once the pager is gone (the user quit it): everything after is dropped.
    closed: bool,
    /// When starting the pager failed: written straight to `out` from then on.
    direct: bool,
    command: String,
}

impl<'a> Paging<'a> {
    /// `always`: page even a short result (`.pager on`); `command` runs under `sh -c`.
    pub fn new(out: &'a mut dyn Write, height: usize, always: bool, command: String) -> Paging<'a> {
        Paging {
            out,
            height: if always { 0 } else { height },
            held: Vec::new(),
            lines: 0,
            child: None,
            closed: false,
            direct: false,
            command,
        }
    }

    /// Whether the user quit the pager, so there is no point in making more output.
    pub fn closed(&self) -> bool {
        self.closed
    }

    fn start(&mut self) -> std::io::Result<()> {
        let spawned = Command::new("sh").arg("-c").arg(&self.command).stdin(Stdio::piped()).spawn();
        match spawned {
            Ok(mut child) => {
                if let Some(stdin) = child.stdin.as_mut() {
                    if stdin.write_all(&self.held).is_err() {
                        self.closed = true;
                    }
                }
                self.child = Some(child);
            }
            Err(_) => {
                self.direct = true;
                self.out.write_all(&self.held)?;
            }
        }
        self.held.clear();
        Ok(())
    }

    /// Ends the output: what was held goes to `out`; a pager is waited for.
    pub fn finish(mut self) -> std::io::Result<()> {
        if let Some(mut child) = self.child.take() {
            drop(child.stdin.take());
            let _ = child.wait();
            return Ok(());
        }
        let held = std::mem::take(&mut self.held);
        self.out.write_all(&held)
    }
}

impl Write for Paging<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        if self.direct {
            return self.out.write(buf);
        }
        if let Some(child) = &mut self.child {
            if let Some(stdin) = child.stdin.as_mut() {
                if stdin.write_all(buf).is_err() {
                    self.closed = true;
                }
            }
            return Ok(buf.len());
        }
        self.held.extend_from_slice(buf);
        self.lines += buf.iter().filter(|&&b| b == b'\n').count();
        if self.lines > self.height {
            self.start()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.child {
            Some(child) => child.stdin.as_mut().map_or(Ok(()), |s| s.flush().or(Ok(()))),
            None if self.direct => self.out.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_output_is_printed_long_output_is_paged() {
        // `cat > FILE` stands in for the pager.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("paged");
        let pager = format!("cat > {}", file.display());
        let mut out = Vec::new();
        let mut p = Paging::new(&mut out, 3, false, pager.clone());
        p.write_all(b"a\nb\n").unwrap();
        p.finish().unwrap();
        assert_eq!(out, b"a\nb\n");
        let mut out = Vec::new();
        let mut p = Paging::new(&mut out, 3, false, pager.clone());
        for i in 0..10 {
            writeln!(p, "line {i}").unwrap();
        }
        p.finish().unwrap();
        assert!(out.is_empty());
        let paged = std::fs::read_to_string(&file).unwrap();
        assert_eq!(paged.lines().count(), 10);
    }
}
