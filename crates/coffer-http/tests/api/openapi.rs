//! The OpenAPI document is served, and the committed copy is fresh.

use crate::helpers::*;

#[test]
fn the_committed_openapi_document_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let current = coffer_http::openapi::json();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &current).unwrap_or_else(|e| panic!("{e}"));
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == current,
        "docs/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p coffer-http --test api openapi`"
    );
}

fn the_server_serves_the_document_and_the_docs_page(engine: Engine) {
    let t = spawn_app(engine);
    let doc = call(&t, "GET", "/openapi.json", None, None, &[]);
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
    assert!(doc.body["paths"]["/v1/charges"]["post"].is_object());
    let page = call(&t, "GET", "/docs/", None, None, &[]);
    assert_eq!(page.status, 200);
    assert!(page.text.contains("swagger"), "the docs page is served from vendored assets");
}

crate::engine_tests!(the_server_serves_the_document_and_the_docs_page,);
