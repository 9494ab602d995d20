//! Crash consistency: SIGKILL the node in the middle of a write load, restart
//! it, and check that no acknowledged write is lost and that the state equals
//! a fresh replay of the ledger.

mod common;
use common::*;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn sigkill_during_writes_loses_no_acknowledged_write() {
    let mut dev = Dev::start("crash");
    dev.ok("CREATE TABLE ev (id int PRIMARY KEY, payload text NOT NULL)");
    let acked: Arc<Mutex<Vec<i64>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let url = dev.url();
    let workers: Vec<_> = (0..8i64)
        .map(|w| {
            let (acked, stop, url) = (acked.clone(), stop.clone(), url.clone());
            std::thread::spawn(move || {
                let mut i = 0i64;
                while !stop.load(Ordering::Relaxed) && i < 100_000 {
                    let id = w * 1_000_000 + i;
                    i += 1;
                    let req = json!({"jsonrpc": "2.0", "id": 1, "method": "sql", "params": {
                        "sql": format!("INSERT INTO ev VALUES ({id}, 'w{w}')"), "role": "admin", "password": "admin"}});
                    let reply = ureq::post(&url)
                        .send_json(&req)
                        .ok()
                        .and_then(|mut r| r.body_mut().read_json::<serde_json::Value>().ok());
                    match reply {
                        Some(r) if r["result"]["status"] == "committed" => acked.lock().unwrap().push(id),
                        _ => {
                            if stop.load(Ordering::Relaxed) {
                                break;
                            }
                            std::thread::sleep(Duration::from_millis(5));
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    dev.kill9();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 50, "the load acknowledged only {} writes before the kill", acked.len());

    let (dir, port) = (dev.dir.clone(), dev.port);
    std::mem::forget(dev);
    let mut dev = Dev::start_in(dir, port);
    let present: std::collections::HashSet<i64> =
        dev.rows("SELECT id FROM ev").into_iter().map(|r| r[0].as_i64().unwrap()).collect();
    let lost: Vec<&i64> = acked.iter().filter(|id| !present.contains(id)).collect();
    assert!(lost.is_empty(), "{} acknowledged writes lost, e.g. {:?}", lost.len(), &lost[..lost.len().min(5)]);
    // Writes go on after the restart.
    dev.ok("INSERT INTO ev VALUES (-1, 'after')");
    dev.stop();
    let out = verify(&dev.dir, true);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("full replay from genesis reproduced every root"));
}
