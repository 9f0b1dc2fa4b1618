//! The ceiling: an actix-web server that answers `POST /graphql` with fixed bytes (an answer
//! the real server gave) and does no other work, so what the HTTP layer and the load generator
//! alone reach on this machine can stand beside the real figures.

use std::{net::SocketAddr, thread::JoinHandle};

use actix_web::{App, HttpResponse, HttpServer, dev::ServerHandle, web};

pub struct Replay {
    pub address: SocketAddr,
    handle: ServerHandle,
    thread: JoinHandle<()>,
}

impl Replay {
    /// Serves `body` as `application/json` from 2 workers on a port of its own.
    pub fn start(body: Vec<u8>) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let address = listener.local_addr().expect("an address");
        let body = web::Bytes::from(body);
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    let body = body.clone();
                    // Reading the request body keeps the connection reusable, as the real
                    // server's handler does.
                    App::new().route(
                        "/graphql",
                        web::post().to(move |_request: web::Bytes| {
                            let body = body.clone();
                            async move {
                                HttpResponse::Ok()
                                    .content_type("application/json")
                                    .body(body)
                            }
                        }),
                    )
                })
                .workers(2)
                .listen(listener)
                .expect("listen")
                .run();
                handle_tx.send(server.handle()).expect("the bench waits");
                server.await.expect("the replay server");
            });
        });
        let handle = handle_rx.recv().expect("the replay server started");
        Self {
            address,
            handle,
            thread,
        }
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
        self.thread.join().expect("the replay server's thread");
    }
}
