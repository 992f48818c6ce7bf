//! A sandbox on 127.0.0.1:0 with a manual clock, a merchant notification receiver, and the merchant's
//! `Client` (coffer-alipay) pointed at the sandbox.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use axum::Router;
use coffer_alipay::{format_beijing, parse_form, Client, Notification, PagePay};
use coffer_alipay_sandbox::{demo, router, Faults, Sandbox};

/// 2024-01-02 03:04:05 Beijing time.
pub const T0: i64 = 1_704_135_845_000;
pub const MINUTE: i64 = 60_000;
pub const RETURN_URL: &str = "http://merchant.test/topup/return";

/// What the merchant's notify endpoint received, and what it will answer next (then `success`).
#[derive(Default)]
pub struct Receiver {
    pub bodies: Vec<String>,
    pub answers: VecDeque<String>,
}

pub struct Harness {
    pub sandbox: Sandbox,
    pub base_url: String,
    pub clock: Arc<AtomicI64>,
    pub receiver: Arc<Mutex<Receiver>>,
    pub client: Client,
    pub http: ureq::Agent,
    pub runtime: tokio::runtime::Handle,
}

/// A fresh loopback port and its base URL.
fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    (listener, base)
}

/// Serves `app` from the background runtime.
fn serve(listener: TcpListener, app: Router, runtime: &tokio::runtime::Handle) {
    runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        axum::serve(listener, app).await.expect("serve");
    });
}

fn background_runtime() -> tokio::runtime::Handle {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let handle = runtime.handle().clone();
    // The runtime lives as long as the test process; its thread just waits.
    std::thread::spawn(move || runtime.block_on(std::future::pending::<()>()));
    handle
}

fn receiver_app(receiver: Arc<Mutex<Receiver>>) -> Router {
    Router::new().route(
        "/notify",
        post(move |body: String| {
            let receiver = receiver.clone();
            async move {
                let mut r = receiver.lock().expect("receiver");
                r.bodies.push(body);
                r.answers.pop_front().unwrap_or_else(|| "success".into())
            }
        }),
    )
}

impl Harness {
    pub fn start() -> Harness {
        let runtime = background_runtime();
        let receiver = Arc::new(Mutex::new(Receiver::default()));
        let (listener, receiver_url) = bind();
        serve(listener, receiver_app(receiver.clone()), &runtime);
        let notify_url = format!("{receiver_url}/notify");
        let clock = Arc::new(AtomicI64::new(T0));
        let (listener, base_url) = bind();
        let ticks = clock.clone();
        let sandbox = Sandbox::new(demo::sandbox_config(&base_url), Arc::new(move || ticks.load(Ordering::SeqCst)));
        serve(listener, router(sandbox.clone()), &runtime);
        let client = Client::new(demo::merchant_config(&base_url, &notify_url, RETURN_URL));
        let http = ureq::AgentBuilder::new().redirects(0).timeout(Duration::from_secs(10)).build();
        Harness { sandbox, base_url, clock, receiver, client, http, runtime }
    }

    pub fn now(&self) -> i64 {
        self.clock.load(Ordering::SeqCst)
    }

    pub fn timestamp(&self) -> String {
        format_beijing(self.now())
    }

    pub fn advance(&self, millis: i64) {
        self.clock.fetch_add(millis, Ordering::SeqCst);
    }

    pub fn set_faults(&self, faults: Faults) {
        self.sandbox.set_faults(faults);
    }

    pub fn order(&self, out_trade_no: &str) -> PagePay {
        PagePay {
            out_trade_no: out_trade_no.into(),
            total_amount_minor: 8888,
            subject: "钱包充值 <top-up>".into(),
            time_expire: None,
        }
    }

    /// Follows the merchant's page.pay redirect: the cashier's HTML.
    pub fn open_cashier(&self, order: &PagePay) -> String {
        let url = self.client.page_pay_url(order, &self.timestamp());
        let response = self.http.get(&url).call().expect("cashier");
        assert_eq!(response.status(), 200);
        response.into_string().expect("html")
    }

    /// Presses a cashier button (`pay`, `scan`, `cancel`); returns (status, Location, body).
    pub fn press(&self, action: &str, out_trade_no: &str) -> (u16, Option<String>, String) {
        let url = format!("{}/sim/cashier/{action}", self.base_url);
        let response = match self.http.post(&url).send_form(&[("out_trade_no", out_trade_no)]) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{action}: {e}"),
        };
        let location = response.header("location").map(str::to_owned);
        (response.status(), location, response.into_string().expect("body"))
    }

    /// The notification bodies received so far.
    pub fn received(&self) -> Vec<String> {
        self.receiver.lock().expect("receiver").bodies.clone()
    }

    pub fn answer_next(&self, answers: &[&str]) {
        self.receiver.lock().expect("receiver").answers.extend(answers.iter().map(|a| (*a).to_owned()));
    }

    /// Verifies a received body the way the merchant will (signature, app and seller).
    pub fn verify(&self, body: &str) -> Result<Notification, coffer_alipay::NotifyError> {
        self.client.verify_notification(&parse_form(body))
    }
}
