//! SMS through a Twilio-compatible REST API: a form POST with basic auth to
//! `{base}/2010-04-01/Accounts/{sid}/Messages.json`. Twilio itself, or any gateway that
//! speaks the same API, is configured by `SMS_GATEWAY_URL`, `SMS_ACCOUNT_SID`,
//! `SMS_AUTH_TOKEN` and `SMS_FROM`.

use std::time::Duration;

pub use crate::server::config::{SmsSettings, TWILIO_URL};

pub struct SmsGateway {
    settings: SmsSettings,
    client: reqwest::Client,
}

impl SmsGateway {
    pub fn new(settings: SmsSettings) -> Result<SmsGateway, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot make the SMS gateway client: {e}"))?;
        Ok(SmsGateway { settings, client })
    }

    pub fn messages_url(&self) -> String {
        format!("{}/2010-04-01/Accounts/{}/Messages.json", self.settings.base_url.trim_end_matches('/'), self.settings.account_sid)
    }

    /// Sends one SMS. An error says what the gateway answered, for the delivery status.
    pub async fn send(&self, to: &str, body: &str) -> Result<(), String> {
        let response = self
            .client
            .post(self.messages_url())
            .basic_auth(&self.settings.account_sid, Some(&self.settings.auth_token))
            .form(&[("To", to), ("From", self.settings.from.as_str()), ("Body", body)])
            .send()
            .await
            .map_err(|e| format!("SMS gateway unreachable: {e}"))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        let excerpt: String = text.chars().take(200).collect();
        Err(format!("SMS gateway answered {status}: {excerpt}"))
    }
}
