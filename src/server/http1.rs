//! The HTTP server loop: each accepted connection is served as HTTP/1.1 by hyper, and on
//! shutdown the listener closes and open connections finish their requests.
//!
//! Why not `axum::serve`: it serves with hyper-util's auto builder, which first reads up
//! to 24 bytes to tell HTTP/2 from HTTP/1 and hands them to hyper ahead of the rest. hyper
//! then sees a short first read, asks for another 8 KB on a buffer that already holds
//! 24 bytes, and the buffer doubles to 16 KB, which stays with the connection for its
//! life. An open live stream is one connection, so that was about a third of its memory
//! (`scripts/bench streams`). The app is reached over HTTP/1.1 (browsers' HTTP/2 ends at
//! the TLS proxy in front of it), so nothing needs the detection.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower_service::Service;

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting, asks
/// every open connection to close after its current request, and returns once they have.
/// Handlers see the peer's address as `ConnectInfo<SocketAddr>`, as with
/// `into_make_service_with_connect_info`. A connection that has not sent a whole request
/// head within `header_timeout` (of opening, or of its previous response) is closed.
pub async fn serve(listener: TcpListener, router: Router, header_timeout: Duration, shutdown: impl Future<Output = ()>) {
    let connections = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    // hyper times the request head only with a timer to time it by.
    http.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = accept(&listener) => accepted,
            () = shutdown.as_mut() => break,
        };
        // Pages stream in several chunks; without TCP_NODELAY, Nagle's algorithm and the
        // client's delayed ACK stall each page by ~40 ms.
        let _ = tcp.set_nodelay(true);
        let router = router.clone();
        // The router's own future goes to hyper as it is: hyper keeps a box the size of
        // this future for as long as the connection is open.
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().call(request)
        });
        // Spawned as it is, not awaited inside an `async` block, which would hold a second
        // copy of the connection's state in the task.
        tokio::spawn(connections.watch(http.serve_connection(TokioIo::new(tcp), service)));
    }
    drop(listener);
    connections.shutdown().await;
}

/// The next connection. A failed accept that concerns a single connection (the peer gave
/// up) is passed over; anything else (out of file descriptors) is logged and retried a
/// second later rather than in a spin. The wait is part of this future, so a shutdown
/// signal is heard during it.
async fn accept(listener: &TcpListener) -> (tokio::net::TcpStream, std::net::SocketAddr) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    loop {
        match listener.accept().await {
            Ok(accepted) => return accepted,
            Err(error) if matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) => {}
            Err(error) => {
                tracing::error!(%error, "accepting a connection failed; retrying in a second");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
