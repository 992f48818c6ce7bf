//! Every UI response carries the security headers: a Content-Security-Policy that
//! allows scripts only from the site and forbids framing, X-Frame-Options DENY,
//! nosniff and a same-origin Referrer-Policy; pages are not cached.

mod support;

use support::{declared_routes, fixtures, path_of, spawn, Client, Reply};

fn assert_secured(what: &str, r: &Reply) {
    assert_eq!(r.header("content-security-policy"), Some(coffer_web::CONTENT_SECURITY_POLICY), "{what}");
    let csp = coffer_web::CONTENT_SECURITY_POLICY;
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{what}");
    assert_eq!(r.header("referrer-policy"), Some("same-origin"), "{what}");
    if r.content_type.starts_with("text/html") {
        assert_eq!(r.header("cache-control"), Some("no-store"), "{what}");
    }
}

#[test]
fn every_ui_page_and_asset_carries_the_security_headers() {
    let server = spawn();
    let f = fixtures(&server);
    let operator = Client::login(&server, "operator");
    let mut checked = 0;
    for (method, route) in declared_routes() {
        if method == "GET" {
            let path = path_of(&server, &f, &route);
            assert_secured(&path, &operator.get(&path));
            checked += 1;
        }
    }
    assert!(checked >= 25, "{checked}");
    let anonymous = Client::with_session(&server, "none");
    assert_secured("the login page", &anonymous.get("/login"));
    assert_secured("a refused form", &operator.post("/accounts/1/cards/buy", &[("csrf", "forged")]));
}

#[test]
fn no_template_has_an_inline_script_the_policy_would_block() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{e}")).flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_else(|e| panic!("{e}"));
        let name = entry.file_name().to_string_lossy().into_owned();
        for tag in text.split("<script").skip(1) {
            let open = tag.split('>').next().unwrap_or_default();
            assert!(open.contains("src=\"/assets/"), "{name}: an inline or foreign script");
        }
        for attribute in [" onclick=", " onload=", " onsubmit=", " onchange=", " oninput=", "javascript:", " hx-on"] {
            assert!(!text.contains(attribute), "{name}: {attribute}");
        }
    }
}
