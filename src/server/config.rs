//! Configuration from environment variables (and `.env`), with defaults that work on a
//! laptop: the project-local database the run script starts, and the dev Outbox.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
use std::path::PathBuf;

use crate::crypto::sealing::MailboxKey;
use crate::domain::{Channel, Plan};
use crate::live::server::StreamLimits;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    /// Connections the server keeps open to Postgres.
    pub database_pool_size: u32,
    /// The origin people reach the site at, e.g. `https://intranet.example.com`. Links in
    /// emails use it, and state-changing requests must come from it.
    pub site_origin: String,
    /// Extra origins accepted for state-changing requests (development aliases).
    pub extra_origins: Vec<String>,
    /// `smtp://`, `smtps://` or `smtp://...?tls=required` URL. None: the dev Outbox.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Cookies get `Secure` when the site is served over HTTPS.
    pub secure_cookies: bool,
    /// Seals Webmail passwords. None: connecting a mailbox says Webmail is not set up.
    pub mailbox_key: Option<MailboxKey>,
    /// Extra certificates (PEM) trusted for IMAP servers besides the public roots.
    pub imap_ca_file: Option<PathBuf>,
    /// `IMAP_ALLOW_PRIVATE=1`: mailbox checks may reach loopback, private and link-local
    /// addresses (a mail server on the company network). Off: only public addresses.
    pub imap_allow_private: bool,
    /// Ports mailbox checks may connect to (`IMAP_PORTS`, default 143 and 993). `None`
    /// allows any port; only tests build that.
    pub imap_ports: Option<Vec<u16>>,
    /// Days an invitation link stays valid (`INVITATION_DAYS`).
    pub invitation_days: i64,
    /// Invitations a portal may send per 24 hours on the Free plan and on paid plans
    /// (`INVITES_PER_DAY_FREE`, `INVITES_PER_DAY_PAID`).
    pub invites_per_day_free: i64,
    pub invites_per_day_paid: i64,
    /// The SMS gateway; None: SMS go to the development Outbox page.
    pub sms: Option<SmsSettings>,
    /// Region for phone numbers typed without a country code (`PHONE_REGION`, e.g. "US").
    pub phone_region: Option<String>,
    /// `DEV_OUTBOX=1`: messages with no transport count as delivered and show on the
    /// development Outbox page (loopback clients only). Off unless asked for, and refused
    /// with an https origin: the page shows every reset link.
    pub dev_outbox: bool,
    /// Portals one client address may create per hour (`SIGNUPS_PER_HOUR`).
    pub signups_per_hour: i64,
    /// Reverse proxies in front of the app (`TRUSTED_PROXIES`, addresses or networks):
    /// only their `X-Forwarded-For` says who the client is.
    pub trusted_proxies: Vec<IpNet>,
    /// How often open live streams re-check their access, and how many may be open.
    pub live: StreamLimits,
    /// Operations: how long an outbox worker owns a claimed batch (`OUTBOX_LEASE_SECS`),
    /// how long a stop waits for requests and sends in flight (`SHUTDOWN_GRACE_SECS`),
    /// how long a connection may take to send a request's headers (`HEADER_TIMEOUT_SECS`)
    /// and its body (`BODY_TIMEOUT_SECS`), and the bearer token that opens `/metrics` to
    /// other machines (`METRICS_TOKEN`).
    pub operations: Operations,
    /// Daily caps on e-mails and SMS whose recipients someone typed.
    pub email_caps: DailyCaps,
    pub sms_caps: DailyCaps,
}

/// Messages of one channel that may be queued per day (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyCaps {
    pub per_portal: i64,
    pub per_instance: i64,
}

pub const DEFAULT_EMAIL_CAPS: DailyCaps = DailyCaps { per_portal: 2_000, per_instance: 50_000 };
pub const DEFAULT_SMS_CAPS: DailyCaps = DailyCaps { per_portal: 200, per_instance: 2_000 };

/// See [`Config::operations`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operations {
    pub outbox_lease: std::time::Duration,
    pub shutdown_grace: std::time::Duration,
    /// A client that has not sent a whole request head this long after the connection
    /// opened, or after its previous response, is disconnected. Otherwise a few hundred
    /// connections trickling a header byte now and then (slowloris) hold the server's
    /// sockets for ever. It also closes keep-alive connections idle that long.
    pub header_timeout: std::time::Duration,
    /// A request whose whole body has not arrived this long after its head is answered
    /// 408 and its connection closed: the header timeout ends with the head, so without
    /// this a client could trickle a body byte now and then and hold the connection.
    pub body_timeout: std::time::Duration,
    pub metrics_token: Option<String>,
}

impl Default for Operations {
    fn default() -> Self {
        Operations {
            outbox_lease: std::time::Duration::from_secs(DEFAULT_OUTBOX_LEASE_SECS as u64),
            shutdown_grace: std::time::Duration::from_secs(DEFAULT_SHUTDOWN_GRACE_SECS as u64),
            header_timeout: std::time::Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS as u64),
            body_timeout: std::time::Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECS as u64),
            metrics_token: None,
        }
    }
}

/// Connections to Postgres per instance for requests (the two LISTENs have their own,
/// `live::server::listen_pool`). More backends than the machine has cores only
/// take turns on them: on 2 cores, the signed-in Employees page under load used more of
/// Postgres's CPU per page with 20 than with 8 (0.37-0.47 ms against 0.28-0.32), and its
/// throughput was no higher; at 200 concurrent requests no request waited a second for a
/// connection (scripts/bench pages). Several instances share Postgres's connection limit.
pub const DEFAULT_DATABASE_POOL_SIZE: u32 = 8;

/// A batch still sending when its lease ends starts none of its remaining messages (they
/// go to whoever claims them next), so the lease bounds how late a claim can send.
pub const DEFAULT_OUTBOX_LEASE_SECS: i64 = 300;
pub const DEFAULT_SHUTDOWN_GRACE_SECS: i64 = 20;
/// Longer than a person's slowest network needs for a few hundred bytes of headers, and
/// longer than the idle time after which the proxy in front drops its own keep-alive
/// connections to the app (docs/deploy.md: `keepalive_timeout 15s`), so the proxy never
/// sends a request down a connection the app is closing.
pub const DEFAULT_HEADER_TIMEOUT_SECS: i64 = 20;
/// The largest body the app takes (a megabyte, `server::input::MAX_FORM_BYTES`) arrives
/// within this even at 40 KB/s, a poor mobile link; real forms are a few kilobytes.
pub const DEFAULT_BODY_TIMEOUT_SECS: i64 = 30;

pub const DEFAULT_INVITATION_DAYS: i64 = 30;
pub const DEFAULT_INVITES_PER_DAY_FREE: i64 = 100;
pub const DEFAULT_INVITES_PER_DAY_PAID: i64 = 1000;
pub const DEFAULT_SIGNUPS_PER_HOUR: i64 = 10;

pub const DEFAULT_IMAP_PORTS: [u16; 2] = [143, 993];

pub const DEFAULT_MAIL_FROM: &str = "Bitrix24 Intranet <no-reply@intranet.localhost>";

impl Config {
    /// An app on a loopback origin with the dev Outbox: for tests and benchmarks.
    pub fn local(database_url: &str, site_origin: &str) -> Config {
        Config {
            database_url: database_url.to_string(),
            database_pool_size: DEFAULT_DATABASE_POOL_SIZE,
            site_origin: site_origin.to_string(),
            extra_origins: Vec::new(),
            smtp_url: None,
            mail_from: DEFAULT_MAIL_FROM.into(),
            secure_cookies: false,
            mailbox_key: Some(MailboxKey::random()),
            imap_ca_file: None,
            imap_allow_private: false,
            imap_ports: Some(DEFAULT_IMAP_PORTS.to_vec()),
            invitation_days: DEFAULT_INVITATION_DAYS,
            invites_per_day_free: DEFAULT_INVITES_PER_DAY_FREE,
            invites_per_day_paid: DEFAULT_INVITES_PER_DAY_PAID,
            sms: None,
            phone_region: None,
            dev_outbox: true,
            signups_per_hour: DEFAULT_SIGNUPS_PER_HOUR,
            trusted_proxies: Vec::new(),
            live: StreamLimits::default(),
            operations: Operations::default(),
            email_caps: DEFAULT_EMAIL_CAPS,
            sms_caps: DEFAULT_SMS_CAPS,
        }
    }

    pub fn from_env(site_addr: SocketAddr) -> Result<Config, String> {
        let database_url =
            std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set (scripts/run sets it for you)".to_string())?;
        let configured_origin = non_empty_var("SITE_ORIGIN");
        let default_origin = format!("http://{site_addr}");
        let site_origin = configured_origin.clone().unwrap_or_else(|| default_origin.clone()).trim_end_matches('/').to_string();
        // With no origin configured we are on a developer's machine: accept the usual
        // loopback spellings of the same port too.
        let extra_origins = if configured_origin.is_none() {
            vec![format!("http://localhost:{}", site_addr.port()), format!("http://127.0.0.1:{}", site_addr.port())]
        } else {
            Vec::new()
        };
        let dev_outbox = flag_var("DEV_OUTBOX")?;
        refuse_dev_outbox_in_production(dev_outbox, &site_origin)?;
        let metrics_token = non_empty_var("METRICS_TOKEN");
        if metrics_token.as_ref().is_some_and(|token| token.len() < 16) {
            return Err("METRICS_TOKEN must be at least 16 characters long".into());
        }
        Ok(Config {
            live: StreamLimits::default(),
            operations: Operations {
                outbox_lease: seconds_var("OUTBOX_LEASE_SECS", DEFAULT_OUTBOX_LEASE_SECS)?,
                shutdown_grace: seconds_var("SHUTDOWN_GRACE_SECS", DEFAULT_SHUTDOWN_GRACE_SECS)?,
                header_timeout: seconds_var("HEADER_TIMEOUT_SECS", DEFAULT_HEADER_TIMEOUT_SECS)?,
                body_timeout: seconds_var("BODY_TIMEOUT_SECS", DEFAULT_BODY_TIMEOUT_SECS)?,
                metrics_token,
            },
            email_caps: DailyCaps {
                per_portal: positive_var("EMAILS_PER_DAY_PER_PORTAL", DEFAULT_EMAIL_CAPS.per_portal)?,
                per_instance: positive_var("EMAILS_PER_DAY", DEFAULT_EMAIL_CAPS.per_instance)?,
            },
            sms_caps: DailyCaps {
                per_portal: positive_var("SMS_PER_DAY_PER_PORTAL", DEFAULT_SMS_CAPS.per_portal)?,
                per_instance: positive_var("SMS_PER_DAY", DEFAULT_SMS_CAPS.per_instance)?,
            },
            dev_outbox,
            signups_per_hour: positive_var("SIGNUPS_PER_HOUR", DEFAULT_SIGNUPS_PER_HOUR)?,
            trusted_proxies: parse_networks(&non_empty_var("TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|bad| format!("TRUSTED_PROXIES: {bad:?} is not an address or a network like 10.0.0.0/8"))?,
            database_url,
            database_pool_size: u32::try_from(positive_var("DATABASE_POOL_SIZE", DEFAULT_DATABASE_POOL_SIZE.into())?)
                .map_err(|_| "DATABASE_POOL_SIZE is too large".to_string())?,
            secure_cookies: site_origin.starts_with("https://"),
            site_origin,
            extra_origins,
            smtp_url: non_empty_var("SMTP_URL"),
            mail_from: non_empty_var("MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.into()),
            mailbox_key: mailbox_key_from_env()?,
            imap_ca_file: non_empty_var("IMAP_CA_FILE").map(PathBuf::from),
            imap_allow_private: flag_var("IMAP_ALLOW_PRIVATE")?,
            imap_ports: Some(ports_var("IMAP_PORTS", &DEFAULT_IMAP_PORTS)?),
            invitation_days: positive_var("INVITATION_DAYS", DEFAULT_INVITATION_DAYS)?,
            invites_per_day_free: positive_var("INVITES_PER_DAY_FREE", DEFAULT_INVITES_PER_DAY_FREE)?,
            invites_per_day_paid: positive_var("INVITES_PER_DAY_PAID", DEFAULT_INVITES_PER_DAY_PAID)?,
            sms: sms_from_env()?,
            phone_region: non_empty_var("PHONE_REGION").map(|r| r.to_uppercase()),
        })
    }

    pub fn accepts_origin(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        origin == self.site_origin || self.extra_origins.iter().any(|o| o == origin)
    }

    /// The daily invitation cap of a portal on this plan.
    pub fn invites_per_day(&self, plan: Plan) -> i64 {
        if plan.is_paid() { self.invites_per_day_paid } else { self.invites_per_day_free }
    }

    pub fn daily_caps(&self, channel: Channel) -> DailyCaps {
        match channel {
            Channel::Email => self.email_caps,
            Channel::Sms => self.sms_caps,
        }
    }

    /// Whether messages of `channel` leave the outbox: through a configured transport,
    /// or (with the dev Outbox) by being shown. Others wait, queued, for a transport.
    pub fn delivers(&self, channel: Channel) -> bool {
        self.dev_outbox
            || match channel {
                Channel::Email => self.smtp_url.is_some(),
                Channel::Sms => self.sms.is_some(),
            }
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the
    /// nearest address in `X-Forwarded-For` that is not itself a trusted proxy (a client
    /// can write anything at the start of that header, so it is read from the end).
    pub fn client_address(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d.
        let peer = peer.to_canonical();
        let trusted = |ip: &IpAddr| self.trusted_proxies.iter().any(|net| net.contains(ip));
        if !trusted(&peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_for.unwrap_or_default().rsplit(',').map(str::trim) {
            match hop.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
                Ok(ip) => {
                    client = ip;
                    if !trusted(&ip) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }

    /// Absolute link to a path of this site, for emails.
    pub fn link(&self, path_and_query: &str) -> String {
        format!("{}{}", self.site_origin, path_and_query)
    }
}

/// `MAILBOX_KEY_FILE` (a file holding base64 of 32 random bytes; scripts/run makes one)
/// or `MAILBOX_KEY` (the same text). A key that is set but broken stops the start-up.
fn mailbox_key_from_env() -> Result<Option<MailboxKey>, String> {
    let text = match (non_empty_var("MAILBOX_KEY_FILE"), non_empty_var("MAILBOX_KEY")) {
        (Some(path), _) => std::fs::read_to_string(&path).map_err(|e| format!("cannot read MAILBOX_KEY_FILE {path}: {e}"))?,
        (None, Some(text)) => text,
        (None, None) => {
            tracing::warn!("neither MAILBOX_KEY_FILE nor MAILBOX_KEY is set: Webmail cannot connect mailboxes");
            return Ok(None);
        }
    };
    MailboxKey::from_base64(&text).map(Some).map_err(|e| format!("MAILBOX_KEY_FILE / MAILBOX_KEY: {e}"))
}

fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// An https origin means a real deployment, where a page of every reset link must not exist.
fn refuse_dev_outbox_in_production(dev_outbox: bool, site_origin: &str) -> Result<(), String> {
    if dev_outbox && site_origin.starts_with("https://") {
        return Err("DEV_OUTBOX=1 shows every reset link and password sent: it cannot be on with an https SITE_ORIGIN".into());
    }
    Ok(())
}

/// Addresses (`10.0.0.5`) and networks (`10.0.0.0/8`), separated by commas or spaces.
fn parse_networks(text: &str) -> Result<Vec<IpNet>, String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|item| item.parse::<IpNet>().or_else(|_| item.parse::<IpAddr>().map(IpNet::from)).map_err(|_| item.to_string()))
        .collect()
}

/// `1`/`true`/`yes` or `0`/`false`/`no` (unset: off).
fn flag_var(name: &str) -> Result<bool, String> {
    match non_empty_var(name).map(|v| v.to_lowercase()) {
        None => Ok(false),
        Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
        Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
        Some(v) => Err(format!("{name} must be 1 or 0, not {v:?}")),
    }
}

/// Port numbers separated by commas or spaces (unset: `default`).
fn ports_var(name: &str, default: &[u16]) -> Result<Vec<u16>, String> {
    let Some(text) = non_empty_var(name) else { return Ok(default.to_vec()) };
    let ports: Vec<u16> = text
        .split([',', ' '])
        .filter(|t| !t.trim().is_empty())
        .map(|t| t.trim().parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| format!("{name}: {t:?} is not a port number")))
        .collect::<Result<_, _>>()?;
    if ports.is_empty() {
        return Err(format!("{name} lists no port"));
    }
    Ok(ports)
}

fn seconds_var(name: &str, default: i64) -> Result<std::time::Duration, String> {
    positive_var(name, default).map(|seconds| std::time::Duration::from_secs(seconds as u64))
}

fn positive_var(name: &str, default: i64) -> Result<i64, String> {
    match non_empty_var(name) {
        None => Ok(default),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{name} must be a positive whole number, not {text:?}")),
        },
    }
}

/// All of `SMS_ACCOUNT_SID`, `SMS_AUTH_TOKEN` and `SMS_FROM`, or none of them.
fn sms_from_env() -> Result<Option<SmsSettings>, String> {
    match (non_empty_var("SMS_ACCOUNT_SID"), non_empty_var("SMS_AUTH_TOKEN"), non_empty_var("SMS_FROM")) {
        (None, None, None) => Ok(None),
        (Some(account_sid), Some(auth_token), Some(from)) => Ok(Some(SmsSettings {
            base_url: non_empty_var("SMS_GATEWAY_URL").unwrap_or_else(|| TWILIO_URL.into()),
            account_sid,
            auth_token,
            from,
        })),
        _ => Err("set all of SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM (or none: SMS then go to the dev Outbox)".into()),
    }
}

/// A Twilio-compatible SMS gateway (`SMS_GATEWAY_URL`, `SMS_ACCOUNT_SID`, `SMS_AUTH_TOKEN`,
/// `SMS_FROM`).
#[derive(Clone)]
pub struct SmsSettings {
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
    pub from: String,
}

impl std::fmt::Debug for SmsSettings {
    // The auth token is a secret: configuration is logged at start-up.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmsSettings({} as {} from {})", self.base_url, self.account_sid, self.from)
    }
}

pub const TWILIO_URL: &str = "https://api.twilio.com";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        let mut config = Config::local("postgres://unused", "http://127.0.0.1:3000");
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        // No proxy trusted: the header is anyone's to write, and is ignored.
        assert_eq!(config.client_address(ip("203.0.113.9"), Some("198.51.100.1")), ip("203.0.113.9"));
        config.trusted_proxies = parse_networks("10.0.0.0/8, 127.0.0.1").unwrap();
        assert_eq!(config.client_address(ip("10.1.2.3"), Some("198.51.100.1")), ip("198.51.100.1"));
        // What a client wrote in front is passed over: the proxy appended the real address.
        assert_eq!(config.client_address(ip("10.1.2.3"), Some("1.2.3.4, 198.51.100.1")), ip("198.51.100.1"));
        // Two proxies in a row.
        assert_eq!(config.client_address(ip("127.0.0.1"), Some("198.51.100.1, 10.9.9.9")), ip("198.51.100.1"));
        // A proxy on a dual-stack listener, and mapped addresses in the header.
        assert_eq!(config.client_address(ip("::ffff:10.1.2.3"), Some("::ffff:198.51.100.1")), ip("198.51.100.1"));
        // A proxy that sent no header: the proxy is the client.
        assert_eq!(config.client_address(ip("10.1.2.3"), None), ip("10.1.2.3"));
        assert!(parse_networks("10.0.0.0/8 nonsense").is_err());
    }

    #[test]
    fn the_dev_outbox_never_runs_with_an_https_origin() {
        assert!(refuse_dev_outbox_in_production(true, "https://intranet.example.com").is_err());
        assert!(refuse_dev_outbox_in_production(false, "https://intranet.example.com").is_ok());
        assert!(refuse_dev_outbox_in_production(true, "http://127.0.0.1:3000").is_ok());
    }

    #[test]
    fn without_a_transport_or_the_dev_outbox_nothing_is_delivered() {
        let mut config = Config::local("postgres://unused", "http://127.0.0.1:3000");
        assert!(config.delivers(Channel::Email) && config.delivers(Channel::Sms));
        config.dev_outbox = false;
        assert!(!config.delivers(Channel::Email) && !config.delivers(Channel::Sms));
        config.smtp_url = Some("smtp://127.0.0.1:25".into());
        assert!(config.delivers(Channel::Email) && !config.delivers(Channel::Sms));
    }
}
