//! A webhook receiver for tests: a real HTTP server on a port of its own that keeps every
//! delivery it gets, and can be told to fail, or to hold a delivery without answering.

use std::{
    net::{SocketAddr, TcpListener},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::ServerHandle, web};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub signature: String,
    pub event_id: String,
    pub event_type: String,
    pub body: Vec<u8>,
    pub json: Value,
    pub at: Instant,
}

#[derive(Default)]
struct Behaviour {
    /// Answer this many requests with a 500 first.
    fail_first: usize,
    /// Never answer the first request (it waits for a minute).
    hold_first: bool,
    seen: usize,
}

#[derive(Clone, Default)]
struct Shared {
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    behaviour: Arc<Mutex<Behaviour>>,
}

pub struct Receiver {
    pub url: String,
    pub address: SocketAddr,
    shared: Shared,
    handle: ServerHandle,
}

/// A free port on loopback, not yet listened on.
pub fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

impl Receiver {
    pub async fn start() -> Self {
        Self::start_on(free_address(), 0, false).await
    }

    /// Listens on `address`, failing the first `fail_first` requests with a 500 and, with
    /// `hold_first`, never answering the first.
    pub async fn start_on(address: SocketAddr, fail_first: usize, hold_first: bool) -> Self {
        let shared = Shared::default();
        *shared.behaviour.lock().unwrap() = Behaviour {
            fail_first,
            hold_first,
            seen: 0,
        };
        let listener = TcpListener::bind(address).expect("bind the receiver's port");
        let state = shared.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://{address}/hooks/content"),
            address,
            shared,
            handle,
        }
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.deliveries.lock().unwrap().clone()
    }

    /// Waits up to `limit` until at least `n` deliveries arrived; returns them all.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Delivery> {
        let deadline = Instant::now() + limit;
        loop {
            let got = self.deliveries();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} deliveries after {limit:?}, expected {n}: {:#?}",
                got.len(),
                got.iter().map(|d| &d.json).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

async fn receive(req: HttpRequest, body: web::Bytes, state: web::Data<Shared>) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let delivery = Delivery {
        signature: header("content-api-signature"),
        event_id: header("content-api-event-id"),
        event_type: header("content-api-event"),
        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
        body: body.to_vec(),
        at: Instant::now(),
    };
    let (fail, hold) = {
        let mut b = state.behaviour.lock().unwrap();
        b.seen += 1;
        (b.seen <= b.fail_first, b.hold_first && b.seen == 1)
    };
    state.deliveries.lock().unwrap().push(delivery);
    if hold {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    if fail {
        HttpResponse::InternalServerError().body("receiver is failing on purpose")
    } else {
        HttpResponse::NoContent().finish()
    }
}

/// Checks a `Content-Api-Signature` the way the README tells receivers to: HMAC-SHA256 of
/// `t`, a dot and the body, keyed by the secret, within five minutes of now.
pub fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value.to_owned()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (chrono::Utc::now().timestamp() - t).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("{:x}", mac.finalize().into_bytes()) == v1
}
