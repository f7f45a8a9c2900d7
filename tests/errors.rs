//! One test per error path: the status code, a message naming the step and the ref, and a
//! session that stays usable afterwards.

mod common;

use common::*;
use gradd::proto as pb;
use tonic::Code;

#[tokio::test]
async fn seed_cell_is_one_round_trip() {
    let server = TestServer::start().await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;
    let resp = c.run(run_req(&sid, seed_cell())).await.expect("run").into_inner();
    assert_eq!(resp.results.len(), seed_cell().len());
    let grads = &resp.results[10].values;
    let (dw, db) = (
        grads[0].tensor.as_ref().expect("dw"),
        grads[1].tensor.as_ref().expect("db"),
    );
    assert_eq!(dw.shape, vec![3, 2]);
    assert_eq!(db.shape, vec![2]);
    // dl/dw = x^T dl/db: row i of dw is x_i * db.
    for i in 0..3 {
        for j in 0..2 {
            let want = (i as f32 + 1.0) * db.float_val[j];
            assert!((dw.float_val[i * 2 + j] - want).abs() < 1e-5, "dw[{i},{j}]");
        }
    }
    // Op results carry shapes but no values unless fetched.
    let y = resp.results[6].values[0].tensor.as_ref().expect("y");
    assert_eq!(y.shape, vec![1, 2]);
    assert!(y.float_val.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn unknown_session_is_not_found() {
    let server = TestServer::start().await;
    let mut c = server.client().await;
    let err = c
        .run(run_req("nope", vec![fetch(&["x"])]))
        .await
        .expect_err("must fail");
    assert_eq!(err.code(), Code::NotFound);
    assert!(err.message().contains("nope"), "{}", err.message());
    let err = c
        .get_session(pb::GetSessionRequest {
            session_id: "nope".into(),
        })
        .await
        .expect_err("must fail");
    assert_eq!(err.code(), Code::NotFound);
    server.stop().await;
}

async fn expect_step_error(steps: Vec<pb::Step>, code: Code, index: usize, needles: &[&str]) {
    let server = TestServer::start().await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;
    let err = c.run(run_req(&sid, steps)).await.expect_err("must fail");
    assert_eq!(err.code(), code, "{}", err.message());
    assert!(
        err.message().starts_with(&format!("step {index} (")),
        "{}",
        err.message()
    );
    for n in needles {
        assert!(err.message().contains(n), "{:?} lacks {n:?}", err.message());
    }
    // The session is still usable, and the steps before the failure took effect.
    let ok = c
        .run(run_req(
            &sid,
            vec![constant("z", f32_tensor(&[], &[1.0])), fetch(&["z"])],
        ))
        .await
        .expect("session still usable");
    assert_eq!(
        ok.into_inner().results[1].values[0]
            .tensor
            .as_ref()
            .map(|t| t.float_val.clone()),
        Some(vec![1.0])
    );
    server.stop().await;
}

#[tokio::test]
async fn unknown_ref_is_not_found_naming_the_ref() {
    let steps = vec![
        constant("a", f32_tensor(&[1], &[1.0])),
        op("Exp", &["missing"], &["y"]),
    ];
    expect_step_error(steps, Code::NotFound, 1, &["op Exp", "\"missing\""]).await;
}

#[tokio::test]
async fn consumed_tape_is_failed_precondition() {
    let mut steps = seed_cell();
    steps.push(gradient("t", &["loss"], &["w"]));
    let n = steps.len() - 1;
    expect_step_error(steps, Code::FailedPrecondition, n, &["gradient t", "persistent"]).await;
}

#[tokio::test]
async fn shape_mismatch_is_invalid_argument_naming_shapes() {
    let steps = vec![
        constant("a", f32_tensor(&[2, 3], &[1.0; 6])),
        constant("b", f32_tensor(&[2, 3], &[1.0; 6])),
        op("MatMul", &["a", "b"], &["c"]),
    ];
    expect_step_error(steps, Code::InvalidArgument, 2, &["MatMul", "[2, 3]"]).await;
}

#[tokio::test]
async fn dtype_mismatch_is_invalid_argument() {
    let mut b = f32_tensor(&[2], &[]);
    b.dtype = pb::DType::DtypeFloat64 as i32;
    b.double_val = vec![1.0, 2.0];
    let steps = vec![
        constant("a", f32_tensor(&[2], &[1.0, 2.0])),
        constant("b", b),
        op("AddV2", &["a", "b"], &["c"]),
    ];
    expect_step_error(steps, Code::InvalidArgument, 2, &["float32", "float64"]).await;
}

#[tokio::test]
async fn unknown_op_and_bad_arity_are_invalid_argument() {
    let steps = vec![
        constant("a", f32_tensor(&[1], &[1.0])),
        op("Frobnicate", &["a"], &["y"]),
    ];
    expect_step_error(steps, Code::InvalidArgument, 1, &["Frobnicate"]).await;
    let steps = vec![
        constant("a", f32_tensor(&[1], &[1.0])),
        op("AddV2", &["a"], &["y"]),
    ];
    expect_step_error(steps, Code::InvalidArgument, 1, &["AddV2 takes 2 inputs"]).await;
}

#[tokio::test]
async fn malformed_tensor_is_invalid_argument() {
    let steps = vec![constant("a", f32_tensor(&[2, 2], &[1.0, 2.0, 3.0]))];
    expect_step_error(steps, Code::InvalidArgument, 0, &["needs 4"]).await;
}

#[tokio::test]
async fn missing_and_ill_typed_attrs_are_invalid_argument() {
    let steps = vec![
        constant("a", f32_tensor(&[2, 3], &[1.0; 6])),
        op("Reshape", &["a"], &["y"]),
    ];
    expect_step_error(steps, Code::InvalidArgument, 1, &["missing attr shape"]).await;
    let mut bad = op("Sum", &["a"], &["y"]);
    if let Some(pb::step::Kind::Op(o)) = &mut bad.kind {
        o.attrs.insert(
            "keep_dims".into(),
            pb::AttrValue {
                value: Some(pb::attr_value::Value::S("yes".into())),
            },
        );
    }
    let steps = vec![constant("a", f32_tensor(&[2, 3], &[1.0; 6])), bad];
    expect_step_error(steps, Code::InvalidArgument, 1, &["keep_dims"]).await;
}

#[tokio::test]
async fn empty_session_id_runs_in_an_ephemeral_session() {
    let server = TestServer::start().await;
    let mut c = server.client().await;
    let resp = c.run(run_req("", seed_cell())).await.expect("run").into_inner();
    assert!(resp.session_id.is_empty());
    assert_eq!(resp.results.len(), seed_cell().len());
    server.stop().await;
}

#[tokio::test]
async fn delete_is_idempotent_and_session_ids_are_128_bit() {
    let server = TestServer::start().await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;
    assert_eq!(sid.len(), 32);
    assert!(sid.chars().all(|ch| ch.is_ascii_hexdigit()));
    let del = |id: &str| pb::DeleteSessionRequest {
        session_id: id.into(),
    };
    assert!(
        c.delete_session(del(&sid))
            .await
            .expect("delete")
            .into_inner()
            .deleted
    );
    assert!(
        !c.delete_session(del(&sid))
            .await
            .expect("delete again")
            .into_inner()
            .deleted
    );
    let err = c.run(run_req(&sid, vec![])).await.expect_err("deleted");
    assert_eq!(err.code(), Code::NotFound);
    // A client-chosen id works, and taking it twice is ALREADY_EXISTS.
    let req = || pb::CreateSessionRequest {
        session_id: "mine-1".into(),
        ttl_seconds: 30,
    };
    let s = c.create_session(req()).await.expect("create").into_inner();
    assert_eq!((s.session_id.as_str(), s.ttl_seconds), ("mine-1", 30));
    assert_eq!(
        c.create_session(req()).await.expect_err("dup").code(),
        Code::AlreadyExists
    );
    server.stop().await;
}

#[tokio::test]
async fn stream_session_lives_as_long_as_the_stream() {
    let server = TestServer::start().await;
    let mut c = server.client().await;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut out = c
        .run_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .expect("stream")
        .into_inner();
    tx.send(run_req("", seed_cell())).await.expect("send");
    let first = out.message().await.expect("recv").expect("one response");
    assert!(first.error.is_none());
    let sid = first.session_id.clone();
    // A failing batch reports the step in-band and keeps the stream (and session) open.
    tx.send(run_req("", vec![fetch(&["nope"])])).await.expect("send");
    let second = out.message().await.expect("recv").expect("response");
    let e = second.error.expect("error");
    assert_eq!(
        (e.code, e.step_index, e.step_kind.as_str()),
        (Code::NotFound as i32, 0, "fetch")
    );
    tx.send(run_req("", vec![fetch(&["loss"])])).await.expect("send");
    let third = out.message().await.expect("recv").expect("response");
    assert!(third.error.is_none());
    assert!(
        c.get_session(pb::GetSessionRequest {
            session_id: sid.clone()
        })
        .await
        .is_ok()
    );
    drop(tx);
    assert!(out.message().await.expect("end").is_none());
    // The stream is over: its session is gone.
    let mut gone = false;
    for _ in 0..100 {
        if c.get_session(pb::GetSessionRequest {
            session_id: sid.clone(),
        })
        .await
        .is_err()
        {
            gone = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(gone, "stream session still alive");
    server.stop().await;
}
