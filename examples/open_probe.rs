use std::time::Instant;
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let t0 = Instant::now();
    let db = amberdb::Database::open(&dir).unwrap();
    eprintln!("open {:?} {}", t0.elapsed(), db.recovery_report().unwrap());
}
