//! The IMAP conversation that proves a mailbox works: connect (TLS from the first byte,
//! or STARTTLS), log in, open the INBOX read-only, log out. The whole exchange has one
//! deadline, so a server that accepts the connection and then says nothing still gets
//! an answer to the person within [`DEADLINE`].

use std::fmt::Debug;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_imap::Client;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto::ring};

use super::Security;
use super::targets::ImapTargets;

/// Time to open the TCP connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for the whole check, connection included.
pub const DEADLINE: Duration = Duration::from_secs(10);
/// Time for a plain connection's greeting. A TLS port stays silent here (it waits for
/// our TLS hello), so a missing greeting usually means the security choice is wrong.
pub const GREETING_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct ImapLogin {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: String,
}

/// Why a check failed, in words fit for the person who typed the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapProblem {
    /// No TCP connection (refused, no route, unknown host).
    Unreachable(String),
    TimedOut,
    /// TLS failed: wrong security choice, or a certificate we do not trust.
    Secure(String),
    /// A plain connection got no IMAP greeting (often: a TLS port used with STARTTLS).
    NoGreeting,
    /// The server answered NO to the log-in.
    LoginRefused,
    /// The server said something we did not expect (not an IMAP server, no INBOX...).
    Protocol(String),
    /// The name resolved to an address this server does not connect to (loopback,
    /// private, link-local...).
    Forbidden(String),
}

/// TLS settings for mail servers: the public web roots, plus any extra certificates the
/// operator trusts (a company CA, or the test server's), from `IMAP_CA_FILE`.
pub fn tls_config(extra_roots_pem: Option<&Path>) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_roots_pem {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("cannot read IMAP_CA_FILE {}: {e}", path.display()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("cannot parse IMAP_CA_FILE {}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("IMAP_CA_FILE {} holds no certificate", path.display()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| format!("IMAP_CA_FILE {}: {e}", path.display()))?;
        }
    }
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Logs in and opens the INBOX; answers the number of messages in it.
pub async fn check_mailbox(login: &ImapLogin, tls: Arc<ClientConfig>, targets: &ImapTargets) -> Result<u32, ImapProblem> {
    match tokio::time::timeout(DEADLINE, converse(login, tls, targets)).await {
        Ok(result) => result,
        Err(_) => Err(ImapProblem::TimedOut),
    }
}

async fn converse(login: &ImapLogin, tls: Arc<ClientConfig>, targets: &ImapTargets) -> Result<u32, ImapProblem> {
    let server_name =
        ServerName::try_from(login.host.clone()).map_err(|_| ImapProblem::Unreachable("this is not a valid server name".into()))?;
    let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, connect_checked(login, targets)).await {
        Err(_) => return Err(ImapProblem::TimedOut),
        Ok(result) => result?,
    };
    let _ = tcp.set_nodelay(true);
    let connector = TlsConnector::from(tls);
    match login.security {
        Security::Tls => {
            let stream = connector.connect(server_name, tcp).await.map_err(|e| ImapProblem::Secure(tls_error_text(&e)))?;
            let mut client = Client::new(stream);
            read_greeting(&mut client).await?;
            log_in_and_count(client, login).await
        }
        Security::StartTls => {
            let mut client = Client::new(tcp);
            tokio::time::timeout(GREETING_TIMEOUT, read_greeting(&mut client)).await.map_err(|_| ImapProblem::NoGreeting)??;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|_| ImapProblem::Secure("the server does not offer STARTTLS on this port".into()))?;
            let stream = connector.connect(server_name, client.into_inner()).await.map_err(|e| ImapProblem::Secure(tls_error_text(&e)))?;
            // No greeting after STARTTLS: the conversation goes on.
            log_in_and_count(Client::new(stream), login).await
        }
    }
}

/// Resolves the name once, refuses it when any address is not allowed, and connects to
/// exactly the addresses checked; the connected peer is checked again.
async fn connect_checked(login: &ImapLogin, targets: &ImapTargets) -> Result<TcpStream, ImapProblem> {
    let resolved: Vec<std::net::SocketAddr> = tokio::net::lookup_host((login.host.as_str(), login.port))
        .await
        .map_err(|e| ImapProblem::Unreachable(connect_error_text(&e)))?
        .collect();
    let allowed =
        targets.checked(resolved.clone()).ok_or_else(|| ImapProblem::Forbidden(format!("{} resolves to {resolved:?}", login.host)))?;
    let tcp = TcpStream::connect(&allowed[..]).await.map_err(|e| ImapProblem::Unreachable(connect_error_text(&e)))?;
    match tcp.peer_addr() {
        Ok(peer) if targets.allows_address(peer.ip()) => Ok(tcp),
        Ok(peer) => Err(ImapProblem::Forbidden(format!("connected to {peer}"))),
        Err(e) => Err(ImapProblem::Unreachable(connect_error_text(&e))),
    }
}

async fn read_greeting<S: AsyncRead + AsyncWrite + Unpin + Debug + Send>(client: &mut Client<S>) -> Result<(), ImapProblem> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(ImapProblem::Protocol("the server closed the connection without a greeting".into())),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            Err(ImapProblem::Protocol("the server does not speak IMAP (wrong port or security?)".into()))
        }
        Err(e) => Err(ImapProblem::Protocol(format!("the connection failed: {e}"))),
    }
}

async fn log_in_and_count<S: AsyncRead + AsyncWrite + Unpin + Debug + Send>(
    client: Client<S>,
    login: &ImapLogin,
) -> Result<u32, ImapProblem> {
    let mut session = match client.login(&login.username, &login.password).await {
        Ok(session) => session,
        Err((async_imap::error::Error::No(_), _)) => return Err(ImapProblem::LoginRefused),
        Err((async_imap::error::Error::Bad(text), _)) => {
            return Err(ImapProblem::Protocol(format!("the server rejected the log-in command: {text}")));
        }
        Err((other, _)) => return Err(ImapProblem::Protocol(format!("the log-in failed: {other}"))),
    };
    // EXAMINE opens the INBOX read-only: checking a mailbox must not mark mail as read.
    let inbox = session.examine("INBOX").await.map_err(|e| ImapProblem::Protocol(format!("cannot open the INBOX: {e}")))?;
    let _ = session.logout().await;
    Ok(inbox.exists)
}

fn connect_error_text(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::ConnectionRefused => "the server refused the connection on this port".into(),
        _ if error.to_string().contains("lookup") || error.to_string().contains("resolve") => "no such server name".into(),
        _ => format!("cannot connect: {error}"),
    }
}

fn tls_error_text(error: &std::io::Error) -> String {
    let text = error.to_string();
    if text.contains("UnknownIssuer") || text.contains("invalid peer certificate") {
        format!("the server's certificate is not trusted ({text})")
    } else if text.contains("corrupt message") || text.contains("InvalidContentType") || text.contains("received") {
        "the server did not start a secure connection: check the port and the security choice".into()
    } else {
        format!("secure connection failed: {text}")
    }
}
