//! A TCP proxy on loopback that a test can stop and start again on the same port: the way to
//! take the real API server away from the portal mid-test (connections refused, in-flight ones
//! cut) and give it back, without stopping the API server other tests share.

use std::net::SocketAddr;
use tokio::{net::TcpSocket, task::JoinSet};

/// A running (or stopped) proxy to `target`.
#[derive(Debug)]
pub struct TcpProxy {
    pub port: u16,
    target: SocketAddr,
    tasks: Option<JoinSet<()>>,
}

impl TcpProxy {
    /// Starts forwarding a free loopback port to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let mut proxy = Self {
            port: super::free_port(),
            target,
            tasks: None,
        };
        proxy.resume().await;
        proxy
    }

    /// Stops accepting and cuts every open connection; the port refuses connections.
    pub async fn stop(&mut self) {
        if let Some(mut tasks) = self.tasks.take() {
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
    }

    /// Listens on the same port again.
    pub async fn resume(&mut self) {
        self.stop().await;
        let socket = TcpSocket::new_v4().expect("a socket");
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], self.port)))
            .expect("bind the proxy port");
        let listener = socket.listen(64).expect("listen");
        let target = self.target;
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            // Connections live in this task's set: aborting the task drops (and cuts) them all.
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        self.tasks = Some(tasks);
    }
}
