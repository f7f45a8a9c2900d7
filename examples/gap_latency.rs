//! Times a KeepAlive round trip to a running `gradd serve` right after the client was busy or
//! asleep for a while, against back to back: what a wake-up costs. An interactive client (a
//! notebook: some Python, a Run, some Python) pays it on every request; `serve --busy-poll`
//! exists for it (README, performance).
//!
//!     cargo run --release --example gap_latency [HOST:PORT]
use gradd::proto as pb;
use gradd::proto::gradd_client::GraddClient;
use std::time::{Duration, Instant};

/// (name, gap in microseconds, sleep (true) or spin (false) through the gap).
const GAPS: [(&str, u64, bool); 5] = [
    ("back to back", 0, false),
    ("after 100 us busy", 100, false),
    ("after 300 us busy", 300, false),
    ("after 300 us asleep", 300, true),
    ("after 2 ms asleep", 2000, true),
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:50051".into());
    let mut c = GraddClient::connect(format!("http://{addr}")).await?;
    let id = c
        .create_session(pb::CreateSessionRequest::default())
        .await?
        .into_inner()
        .session_id;
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); GAPS.len()];
    // Rounds of 25 per gap, in turn, so that every gap sees the same machine.
    for _ in 0..40 {
        for ((_, us, asleep), ts) in GAPS.iter().zip(&mut times) {
            for _ in 0..25 {
                let gap = Duration::from_micros(*us);
                if *asleep {
                    std::thread::sleep(gap);
                } else {
                    let t = Instant::now();
                    while t.elapsed() < gap {
                        std::hint::spin_loop();
                    }
                }
                let t = Instant::now();
                c.keep_alive(pb::KeepAliveRequest {
                    session_id: id.clone(),
                })
                .await?;
                ts.push(t.elapsed().as_secs_f64() * 1e6);
            }
        }
    }
    c.delete_session(pb::DeleteSessionRequest { session_id: id })
        .await?;
    println!("KeepAlive round trip to {addr}, 1000 each");
    println!("{:24} {:>10} {:>10}", "", "median us", "p10 us");
    for ((name, _, _), ts) in GAPS.iter().zip(&mut times) {
        ts.sort_by(f64::total_cmp);
        println!("{name:24} {:10.1} {:10.1}", ts[ts.len() / 2], ts[ts.len() / 10]);
    }
    Ok(())
}
