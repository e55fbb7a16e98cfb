//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

/// A writer whose bytes can be read back after the runner that owns it is done.
#[derive(Clone, Default)]
pub struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

/// Runs a script on a fresh database with each statement echoed above its output
/// (errors included, in place): the same transcript `amberdb test` records.
pub fn transcript(script: &str, name: &str) -> String {
    amberdb::shell::testing::transcript(script, name, std::path::Path::new("."))
}
