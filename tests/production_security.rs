//! Bearer tokens and principals, TLS and mutual TLS, with certificates made by rcgen.

mod common;
mod prod;

use common::*;
use gradd::proto as pb;
use gradd::proto::gradd_client::GraddClient;
use gradd::service::auth::Tokens;
use gradd::service::{ServiceConfig, TlsFiles};
use prod::*;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::sync::Arc;
use tonic::Code;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const ALICE: &str = "token-alice-1";
const BOB: &str = "token-bob-1";

async fn auth_server() -> Server {
    let cfg = ServiceConfig {
        tokens: Some(Arc::new(
            Tokens::parse("alice:token-alice-1,bob:token-bob-1").expect("tokens"),
        )),
        ..ServiceConfig::default()
    };
    Server::start(cfg).await
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_unauthenticated() {
    let server = auth_server().await;
    let mut c = server.client().await;
    let err = c
        .create_session(pb::CreateSessionRequest::default())
        .await
        .expect_err("no token");
    assert_eq!(err.code(), Code::Unauthenticated, "{}", err.message());
    assert!(
        err.message().contains("missing bearer token"),
        "{}",
        err.message()
    );
    let err = c
        .run(bearer(run_req("", probe_steps()), "token-alice-2"))
        .await
        .expect_err("wrong token");
    assert_eq!(err.code(), Code::Unauthenticated, "{}", err.message());
    assert!(
        err.message().contains("invalid bearer token"),
        "{}",
        err.message()
    );
    let mut basic = tonic::Request::new(pb::CreateSessionRequest::default());
    basic.metadata_mut().insert(
        "authorization",
        "Basic dG9rZW4tYWxpY2UtMQ==".parse().expect("header"),
    );
    let err = c.create_session(basic).await.expect_err("not a bearer token");
    assert_eq!(err.code(), Code::Unauthenticated, "{}", err.message());
    // The same connection then works with a good token.
    let ok = c
        .run(bearer(run_req("", probe_steps()), ALICE))
        .await
        .expect("alice")
        .into_inner();
    assert_eq!(probe_value(&ok), Some(vec![7.0]));
    server.stop().await;
}

#[tokio::test]
async fn one_principals_session_is_not_found_for_another() {
    let server = auth_server().await;
    let mut c = server.client().await;
    let sid = c
        .create_session(bearer(pb::CreateSessionRequest::default(), ALICE))
        .await
        .expect("alice creates")
        .into_inner()
        .session_id;
    c.run(bearer(run_req(&sid, seed_cell()), ALICE))
        .await
        .expect("alice runs");

    let get = || pb::GetSessionRequest {
        session_id: sid.clone(),
    };
    let err = c
        .get_session(bearer(get(), BOB))
        .await
        .expect_err("bob cannot see it");
    assert_eq!(err.code(), Code::NotFound, "{}", err.message());
    assert!(err.message().contains("not found"), "{}", err.message());
    let err = c
        .run(bearer(run_req(&sid, vec![fetch(&["loss"])]), BOB))
        .await
        .expect_err("bob cannot run in it");
    assert_eq!(err.code(), Code::NotFound, "{}", err.message());
    let err = c
        .keep_alive(bearer(
            pb::KeepAliveRequest {
                session_id: sid.clone(),
            },
            BOB,
        ))
        .await
        .expect_err("bob cannot renew it");
    assert_eq!(err.code(), Code::NotFound, "{}", err.message());
    let del = c
        .delete_session(bearer(
            pb::DeleteSessionRequest {
                session_id: sid.clone(),
            },
            BOB,
        ))
        .await
        .expect("delete is idempotent")
        .into_inner();
    assert!(!del.deleted, "bob deleted alice's session");

    let s = c
        .get_session(bearer(get(), ALICE))
        .await
        .expect("still alice's")
        .into_inner();
    assert!(s.refs > 0 && s.bytes > 0, "{s:?}");
    let ok = c
        .run(bearer(run_req(&sid, vec![fetch(&["loss"])]), ALICE))
        .await
        .expect("alice still runs")
        .into_inner();
    assert_eq!(ok.results[0].values[0].r#ref, "loss");
    server.stop().await;
}

#[tokio::test]
async fn health_needs_no_token() {
    let server = auth_server().await;
    let mut h = HealthClient::new(server.channel().await);
    let st = h
        .check(HealthCheckRequest {
            service: "readiness".into(),
        })
        .await
        .expect("health without a token")
        .into_inner();
    assert_eq!(st.status(), ServingStatus::Serving);
    server.stop().await;
}

/// Lists the services over reflection `$m` (v1 or v1alpha), with `token` as the bearer token
/// when given.
macro_rules! list_services {
    ($m:ident, $channel:expr, $token:expr) => {{
        use tonic_reflection::pb::$m::ServerReflectionRequest;
        use tonic_reflection::pb::$m::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::$m::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::$m::server_reflection_response::MessageResponse;
        let reqs = tokio_stream::iter(vec![ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        }]);
        let token: Option<&str> = $token;
        let req = match token {
            Some(t) => bearer(reqs, t),
            None => tonic::Request::new(reqs),
        };
        match ServerReflectionClient::new($channel)
            .server_reflection_info(req)
            .await
        {
            Err(status) => Err(status),
            Ok(stream) => match stream.into_inner().message().await {
                Err(status) => Err(status),
                Ok(reply) => match reply.and_then(|r| r.message_response) {
                    Some(MessageResponse::ListServicesResponse(l)) => {
                        Ok(l.service.into_iter().map(|s| s.name).collect::<Vec<String>>())
                    }
                    other => panic!("expected a service list, got {other:?}"),
                },
            },
        }
    }};
}

/// Reflection describes the whole API, so with tokens configured it takes one like every
/// gradd call does (health is the only open service).
#[tokio::test]
async fn reflection_needs_a_token_when_tokens_are_configured() {
    let server = auth_server().await;
    for bad in [None, Some("not-a-token")] {
        let v1 = list_services!(v1, server.channel().await, bad).expect_err("v1 without a valid token");
        assert_eq!(v1.code(), Code::Unauthenticated, "v1 {bad:?}: {}", v1.message());
        let alpha =
            list_services!(v1alpha, server.channel().await, bad).expect_err("v1alpha without a valid token");
        assert_eq!(
            alpha.code(),
            Code::Unauthenticated,
            "v1alpha {bad:?}: {}",
            alpha.message()
        );
    }
    let v1 = list_services!(v1, server.channel().await, Some(ALICE)).expect("v1 with a token");
    let alpha = list_services!(v1alpha, server.channel().await, Some(BOB)).expect("v1alpha with a token");
    for services in [v1, alpha] {
        assert!(services.iter().any(|s| s == "gradd.v1.Gradd"), "{services:?}");
    }
    server.stop().await;
}

// ------------------------------------------------------------------------------------------
// TLS

struct Pki {
    ca_pem: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
}

/// A CA, a server certificate for "localhost" and a client certificate, all signed by it.
fn pki() -> Pki {
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "gradd test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).expect("self-signed CA");
    let issuer = Issuer::new(ca, ca_key);

    let leaf = |names: Vec<String>, eku: ExtendedKeyUsagePurpose| {
        let key = KeyPair::generate().expect("key");
        let mut p = CertificateParams::new(names).expect("params");
        p.distinguished_name.push(DnType::CommonName, "gradd test");
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![eku];
        let cert = p.signed_by(&key, &issuer).expect("sign");
        (cert.pem(), key.serialize_pem())
    };
    let (server_cert, server_key) = leaf(vec!["localhost".into()], ExtendedKeyUsagePurpose::ServerAuth);
    let (client_cert, client_key) = leaf(
        vec!["client.gradd.test".into()],
        ExtendedKeyUsagePurpose::ClientAuth,
    );
    Pki {
        ca_pem: ca_cert.pem(),
        server_cert,
        server_key,
        client_cert,
        client_key,
    }
}

fn tls_config(p: &Pki, mutual: bool) -> ServiceConfig {
    ServiceConfig {
        tls: Some(TlsFiles {
            cert_pem: p.server_cert.clone().into_bytes(),
            key_pem: p.server_key.clone().into_bytes(),
            client_ca_pem: mutual.then(|| p.ca_pem.clone().into_bytes()),
        }),
        ..ServiceConfig::default()
    }
}

async fn tls_server(p: &Pki, mutual: bool) -> Server {
    Server::start(tls_config(p, mutual)).await
}

fn tls_endpoint(server: &Server, p: &Pki, identity: bool) -> Endpoint {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&p.ca_pem))
        .domain_name("localhost");
    if identity {
        tls = tls.identity(Identity::from_pem(&p.client_cert, &p.client_key));
    }
    Endpoint::from_shared(format!("https://{}", server.addr))
        .expect("endpoint")
        .tls_config(tls)
        .expect("tls config")
}

#[tokio::test]
async fn tls_round_trip_runs_the_seed_cell() {
    let p = pki();
    let server = tls_server(&p, false).await;
    let ch = tls_endpoint(&server, &p, false)
        .connect()
        .await
        .expect("TLS connect");
    let mut c = GraddClient::new(ch.clone());
    let r = c
        .run(run_req("", seed_cell()))
        .await
        .expect("seed cell over TLS")
        .into_inner();
    assert_eq!(r.results.len(), seed_cell().len());
    let loss = r
        .results
        .last()
        .and_then(|x| x.values[0].tensor.as_ref())
        .expect("loss");
    assert_eq!(loss.shape, Vec::<i64>::new());
    assert!(loss.float_val[0] > 0.0);
    let st = HealthClient::new(ch)
        .check(HealthCheckRequest::default())
        .await
        .expect("health over TLS")
        .into_inner();
    assert_eq!(st.status(), ServingStatus::Serving);

    // A plaintext client gets nowhere (tonic reports a transport error, at connect or at
    // the first call), and the server keeps serving TLS clients.
    let plain = Endpoint::from_shared(server.url())
        .expect("endpoint")
        .connect()
        .await;
    if let Ok(ch) = plain {
        let res = GraddClient::new(ch).run(run_req("", probe_steps())).await;
        assert!(res.is_err(), "plaintext against TLS was served: {res:?}");
    }
    let ch = tls_endpoint(&server, &p, false)
        .connect()
        .await
        .expect("TLS connect again");
    GraddClient::new(ch)
        .run(run_req("", probe_steps()))
        .await
        .expect("still serving");
    server.stop().await;
}

#[tokio::test]
async fn mutual_tls_requires_a_client_certificate_from_the_ca() {
    let p = pki();
    let server = tls_server(&p, true).await;

    // Without a client certificate the handshake fails: at connect, or at the first call.
    let refused = match tls_endpoint(&server, &p, false).connect().await {
        Err(_) => true,
        Ok(ch) => GraddClient::new(ch)
            .run(run_req("", probe_steps()))
            .await
            .is_err(),
    };
    assert!(refused, "a client without a certificate was served");

    // A certificate from another CA is refused too.
    let other = pki();
    let foreign = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&p.ca_pem))
        .domain_name("localhost")
        .identity(Identity::from_pem(&other.client_cert, &other.client_key));
    let ep = Endpoint::from_shared(format!("https://{}", server.addr))
        .expect("endpoint")
        .tls_config(foreign)
        .expect("tls config");
    let refused = match ep.connect().await {
        Err(_) => true,
        Ok(ch) => GraddClient::new(ch)
            .run(run_req("", probe_steps()))
            .await
            .is_err(),
    };
    assert!(refused, "a certificate from a foreign CA was accepted");

    let ch = tls_endpoint(&server, &p, true)
        .connect()
        .await
        .expect("mTLS connect");
    let r = GraddClient::new(ch)
        .run(run_req("", seed_cell()))
        .await
        .expect("seed cell over mTLS")
        .into_inner();
    assert_eq!(r.results.len(), seed_cell().len());
    server.stop().await;
}

/// A peer that connects and then stalls is disconnected once `handshake_timeout` passes: with
/// TLS during the handshake, without TLS before its first bytes. The read sees end of stream
/// (or a reset) instead of waiting forever; the outer timeout only keeps a broken server from
/// hanging the test.
#[tokio::test]
async fn a_stalled_connection_is_closed_after_the_handshake_timeout() {
    use tokio::io::AsyncReadExt;
    let p = pki();
    let limit = std::time::Duration::from_millis(300);
    let tls = ServiceConfig {
        handshake_timeout: limit,
        ..tls_config(&p, false)
    };
    let plain = ServiceConfig {
        handshake_timeout: limit,
        ..ServiceConfig::default()
    };
    for (cfg, is_tls) in [(tls, true), (plain, false)] {
        let server = Server::start(cfg).await;
        let mut tcp = tokio::net::TcpStream::connect(server.addr)
            .await
            .expect("connect");
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(std::time::Duration::from_secs(30), tcp.read(&mut buf)).await;
        match read {
            Ok(Ok(0)) | Ok(Err(_)) => {}
            Ok(Ok(n)) => panic!("the server (tls: {is_tls}) sent {n} bytes to a silent peer"),
            Err(_) => panic!("the server kept a stalled connection open for 30 s"),
        }
        // The server still serves well-behaved clients afterwards.
        let mut c = if is_tls {
            let ch = tls_endpoint(&server, &p, false)
                .connect()
                .await
                .expect("tls connect");
            GraddClient::new(ch)
        } else {
            server.client().await
        };
        let status = c
            .keep_alive(pb::KeepAliveRequest {
                session_id: "none".into(),
            })
            .await
            .expect_err("an unknown session");
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
    }
}

/// `gradd health` against a TLS server: with the CA (and the certificate's name) it is SERVING;
/// over plaintext it fails.
// The server runs on this test's runtime while `gradd health` blocks a thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_a_tls_server_with_its_ca() {
    let p = pki();
    let server = tls_server(&p, false).await;
    let dir = std::env::temp_dir().join(format!("gradd-health-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &p.ca_pem).expect("write CA");
    let run = |tls: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gradd"));
        cmd.args(["health", "--addr", &server.addr.to_string(), "--timeout", "5"])
            .env_remove("GRADD_ADDR")
            .env_remove("GRADD_HEALTH_TLS_CA");
        if tls {
            cmd.arg("--tls-ca").arg(&ca).args(["--tls-domain", "localhost"]);
        }
        cmd.output().expect("run gradd health")
    };
    let out = run(true);
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "SERVING",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!run(false).status.success());
    let _ = std::fs::remove_dir_all(&dir);
    server.stop().await;
}
