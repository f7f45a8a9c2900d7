//! The Rust client example (`examples/seed_client.rs`), included here as a module and run
//! against an in-process server: the seed cell's gradients hold the relations the notebook
//! shows, and a server with tokens takes the example's bearer token.

mod common;
#[allow(dead_code)] // its `main` is the example's, unused here
#[path = "../examples/seed_client.rs"]
mod seed_client;

use common::TestServer;
use gradd::service::ServiceConfig;
use gradd::service::auth::Tokens;
use std::sync::Arc;
use tonic::Code;

/// y = x @ w + b with b = 0 and x = [1, 2, 3]; loss = mean(y^2) over two elements, so
/// dl_db = y and dl_dw[i][j] = x_i * dl_db[j] (the notebook's "rows are x_i * dl_db").
fn check(cell: &seed_client::SeedCell) {
    let x = [1.0f32, 2.0, 3.0];
    let y: Vec<f32> = (0..2)
        .map(|j| (0..3).map(|i| x[i] * cell.w[i * 2 + j]).sum())
        .collect();
    assert_eq!(cell.dl_db.shape, vec![2]);
    assert_eq!(cell.dl_dw.shape, vec![3, 2]);
    for (j, yj) in y.iter().enumerate() {
        let db = cell.dl_db.float_val[j];
        assert!((db - yj).abs() <= 1e-5 * (1.0 + yj.abs()), "dl_db {db} vs y {yj}");
        for (i, xi) in x.iter().enumerate() {
            let dw = cell.dl_dw.float_val[i * 2 + j];
            assert!(
                (dw - xi * db).abs() <= 1e-5 * (1.0 + dw.abs()),
                "dl_dw[{i}][{j}] {dw}"
            );
        }
    }
    let loss = (y[0] * y[0] + y[1] * y[1]) / 2.0;
    assert!(
        (cell.loss - loss).abs() <= 1e-5 * (1.0 + loss),
        "loss {} vs {loss}",
        cell.loss
    );
}

#[tokio::test]
async fn the_rust_client_example_runs_the_seed_cell() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    for _ in 0..3 {
        let cell = seed_client::run_seed_cell(&mut client, None)
            .await
            .expect("seed cell");
        check(&cell);
    }
    server.stop().await;
}

#[tokio::test]
async fn the_rust_client_example_sends_its_token() {
    let cfg = ServiceConfig {
        tokens: Some(Arc::new(Tokens::parse("alice:token-alice-1").expect("tokens"))),
        ..ServiceConfig::default()
    };
    let server = TestServer::start_with(cfg).await;
    let mut client = server.client().await;
    let err = seed_client::run_seed_cell(&mut client, None)
        .await
        .expect_err("no token");
    let status = err.downcast_ref::<tonic::Status>().expect("a gRPC status");
    assert_eq!(status.code(), Code::Unauthenticated, "{status}");
    let cell = seed_client::run_seed_cell(&mut client, Some("token-alice-1"))
        .await
        .expect("with token");
    check(&cell);
    server.stop().await;
}
