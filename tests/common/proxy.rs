//! A TCP proxy to put between the server and its database, so a test can make the database go
//! away while serving (`cut`) and come back (`restore`) without touching the database itself.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::{
    net::{TcpListener, TcpStream},
    task::AbortHandle,
};

/// Forwards every connection on `address` to the upstream address it was started with.
pub struct Proxy {
    pub address: SocketAddr,
    state: Arc<Mutex<State>>,
    accepting: AbortHandle,
}

#[derive(Default)]
struct State {
    cut: bool,
    /// The tasks copying live connections; aborting one closes both of its sockets.
    live: Vec<AbortHandle>,
}

impl Proxy {
    /// Listens on a free local port.
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let address = listener.local_addr().expect("the proxy's address");
        let state = Arc::new(Mutex::new(State::default()));
        let accepting = tokio::spawn(accept(listener, upstream, state.clone())).abort_handle();
        Self {
            address,
            state,
            accepting,
        }
    }

    /// Closes every live connection; new ones are closed as soon as they are accepted.
    pub fn cut(&self) {
        let mut state = self.state.lock().expect("the proxy's state");
        state.cut = true;
        for connection in state.live.drain(..) {
            connection.abort();
        }
    }

    /// Forwards new connections again.
    pub fn restore(&self) {
        self.state.lock().expect("the proxy's state").cut = false;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accepting.abort();
    }
}

async fn accept(listener: TcpListener, upstream: String, shared: Arc<Mutex<State>>) {
    loop {
        let Ok((mut client, _)) = listener.accept().await else {
            continue;
        };
        // Under the lock, so that a `cut` cannot miss a connection accepted just before it.
        let mut state = shared.lock().expect("the proxy's state");
        if state.cut {
            continue; // dropping `client` closes it
        }
        let upstream = upstream.clone();
        let task = tokio::spawn(async move {
            if let Ok(mut server) = TcpStream::connect(&upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        });
        state.live.retain(|t| !t.is_finished());
        state.live.push(task.abort_handle());
    }
}
