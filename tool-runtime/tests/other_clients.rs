//! Adding the library does not change how the rest of the program behaves: a reqwest client of
//! the program's own, built with reqwest's default features off (plain HTTP, as for a local
//! server), still builds and works with this crate's TLS in the build — Cargo unifies every
//! reqwest feature the build asks for into one reqwest, so this crate must ask only for
//! features that keep any other user of it working.

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

#[tokio::test]
async fn a_plain_reqwest_client_of_the_program_still_works() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = Router::new().route("/health", get(|| async { "ok" }));
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    // The program's own client, as a program that depends on reqwest alone would build it
    // (with `rustls-no-provider` unified into the build, this panicked: "No rustls crypto
    // provider is configured").
    let client = reqwest::Client::new();
    let body = client
        .get(format!("http://{address}/health"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "ok");

    // An HTTPS client of its own builds too (the handshake is not tried: no network here).
    reqwest::Client::builder().https_only(true).build().unwrap();
    server.abort();
}
