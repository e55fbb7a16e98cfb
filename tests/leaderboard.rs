//! Scenarios at scale: a leaderboard of 1,000,000 scores, and a stress run of range and
//! prefix scans with random deletes, each ending with CHECK DATABASE.

use std::time::Instant;

use amberdb::{Database, Value};

fn int(v: &Value) -> i64 {
    match v {
        Value::Integer(i) => *i,
        v => panic!("expected an integer, got {v:?}"),
    }
}

/// A deterministic pseudo-random sequence.
fn lcg(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    *seed >> 33
}

fn load_scores(db: &Database, players: i64) {
    let mut s = db.session();
    s.execute(
        "CREATE TABLE scores (player INTEGER PRIMARY KEY, team TEXT NOT NULL, score INTEGER NOT NULL, at TIMESTAMP)",
        &[],
    )
    .unwrap();
    let insert = s.prepare("INSERT INTO scores VALUES (?, ?, ?, ?)").unwrap();
    let mut seed = 7;
    s.execute("BEGIN", &[]).unwrap();
    for p in 0..players {
        let team = Value::text(&format!("team{:02}", lcg(&mut seed) % 50));
        let score = Value::Integer((lcg(&mut seed) % 1_000_000) as i64);
        let at = Value::text(&format!("2026-{:02}-{:02} 12:00:00", 1 + lcg(&mut seed) % 12, 1 + lcg(&mut seed) % 28));
        s.execute_prepared(&insert, &[Value::Integer(p), team, score, at]).unwrap();
    }
    s.execute("COMMIT", &[]).unwrap();
}

#[test]
fn leaderboard_of_a_million_scores() {
    let started = Instant::now();
    let db = Database::open_in_memory();
    load_scores(&db, 1_000_000);
    let mut s = db.session();
    s.execute("CREATE INDEX scores_score ON scores (score)", &[]).unwrap();
    s.execute("CREATE INDEX scores_team_score ON scores (team, score)", &[]).unwrap();

    // Top 10: read from the end of the score index, no sort.
    let plan =
        s.query("EXPLAIN SELECT player, score FROM scores ORDER BY score DESC, player DESC LIMIT 10", &[]).unwrap();
    assert!(plan.rows.iter().any(|r| r[0].to_string().contains("using scores_score in reverse order")), "{plan:?}");
    let top = s.query("SELECT player, score FROM scores ORDER BY score DESC, player DESC LIMIT 10", &[]).unwrap();
    let by_sort =
        s.query("SELECT player, score FROM scores ORDER BY score * 1 DESC, player DESC LIMIT 10", &[]).unwrap();
    assert_eq!(top.rows, by_sort.rows, "the index order agrees with a full sort");
    let scores: Vec<i64> = top.rows.iter().map(|r| int(&r[1])).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));

    // Rank of one player: one key lookup and one index range count.
    let player = 123_456;
    let mine =
        int(&s.query("SELECT score FROM scores WHERE player = ?", &[Value::Integer(player)]).unwrap().rows[0][0]);
    let above = s.query("SELECT count(*) FROM scores WHERE score > ?", &[Value::Integer(mine)]).unwrap();
    let rank = int(&above.rows[0][0]) + 1;
    let slow = s.query("SELECT count(*) FROM scores WHERE score + 0 > ?", &[Value::Integer(mine)]).unwrap();
    assert_eq!(rank, int(&slow.rows[0][0]) + 1);

    // Per-team aggregates, and one team's best through the composite index.
    let teams = s.query("SELECT team, count(*), max(score), avg(score) FROM scores GROUP BY team", &[]).unwrap();
    assert_eq!(teams.rows.len(), 50);
    let total: i64 = teams.rows.iter().map(|r| int(&r[1])).sum();
    assert_eq!(total, 1_000_000);
    let best = s.query("SELECT max(score) FROM scores WHERE team = 'team07'", &[]).unwrap();
    let listed = teams.rows.iter().find(|r| r[0] == Value::text("team07")).unwrap();
    assert_eq!(best.rows[0][0], listed[2]);
    assert_eq!(s.query("CHECK DATABASE", &[]).unwrap().rows, vec![vec![Value::text("ok")]]);
    eprintln!("leaderboard scenario: {:?}", started.elapsed());
}

#[test]
fn stress_scans_and_random_deletes_leave_a_sound_database() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, bucket INTEGER, v INTEGER)", &[]).unwrap();
    s.execute("CREATE INDEX kv_bucket ON kv (bucket, v)", &[]).unwrap();
    let insert = s.prepare("INSERT INTO kv VALUES (?, ?, ?)").unwrap();
    s.execute("BEGIN", &[]).unwrap();
    for i in 0..1_000_000i64 {
        let key = Value::text(&format!("{}:{i:07}", i % 10));
        s.execute_prepared(&insert, &[key, Value::Integer(i % 10), Value::Integer(i)]).unwrap();
    }
    s.execute("COMMIT", &[]).unwrap();

    // A prefix scan of 100,000 keys through the primary key.
    let n = s.query("SELECT count(*) FROM kv WHERE k LIKE '3:%'", &[]).unwrap();
    assert_eq!(n.rows[0][0], Value::Integer(100_000));
    // Range scans through the composite index.
    let n = s.query("SELECT count(*) FROM kv WHERE bucket = 4 AND v BETWEEN 400000 AND 499999", &[]).unwrap();
    assert_eq!(n.rows[0][0], Value::Integer(10_000));
    // Random deletes, in batches.
    let mut seed = 11;
    let mut deleted = 0;
    for _ in 0..20 {
        let lo = (lcg(&mut seed) % 990_000) as i64;
        let out = s.execute(
            "DELETE FROM kv WHERE bucket = ? AND v >= ? AND v < ?",
            &[Value::Integer(lo % 10), Value::Integer(lo), Value::Integer(lo + 10_000)],
        );
        if let Ok(amberdb::Outcome::Changed { count, .. }) = out {
            deleted += count as i64;
        }
    }
    let left = s.query("SELECT count(*) FROM kv", &[]).unwrap();
    assert_eq!(left.rows[0][0], Value::Integer(1_000_000 - deleted));
    assert_eq!(s.query("CHECK DATABASE", &[]).unwrap().rows, vec![vec![Value::text("ok")]]);
}
