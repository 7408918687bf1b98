//! The HTTP SMS gateway implementation of [`CodeSender`]: a POST to a configured URL with an optional
//! authorization header and a body built from a template where `{phone}` and `{text}` are replaced by
//! the JSON-escaped recipient phone and message (so a JSON template stays valid JSON).

use std::time::Duration;

use super::signing::{CodeSender, Recipient};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The body posted when `DVORIK_SMS_BODY_TEMPLATE` is not set.
pub const DEFAULT_BODY_TEMPLATE: &str = r#"{"to":"{phone}","text":"{text}"}"#;

/// Where and how to post a message.
#[derive(Debug, Clone)]
pub struct SmsGatewayConfig {
    pub url: String,
    /// The value of the `Authorization` header, if the gateway wants one.
    pub auth_header: Option<Secret<String>>,
    /// The request body, e.g. `{"to":"{phone}","message":"{text}"}`.
    pub body_template: String,
}

pub struct SmsGateway {
    config: SmsGatewayConfig,
    client: reqwest::Client,
}

impl SmsGateway {
    pub fn new(config: SmsGatewayConfig) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Internal(format!("SMS client: {e}")))?;
        Ok(Self { config, client })
    }
}

/// `value` as the inside of a JSON string (escaped, without the quotes).
fn json_escaped(value: &str) -> String {
    let quoted = serde_json::Value::String(value.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

/// The body for `phone` and `text` from `template`.
pub fn render_body(template: &str, phone: &str, text: &str) -> String {
    template
        .replace("{phone}", &json_escaped(phone))
        .replace("{text}", &json_escaped(text))
}

#[async_trait::async_trait]
impl CodeSender for SmsGateway {
    fn channel(&self) -> &'static str {
        "sms"
    }

    async fn send(&self, to: &Recipient, text: &Secret<String>) -> Result<()> {
        let phone = to.phone.as_deref().ok_or(Error::CodeDeliveryFailed)?;
        let body = render_body(&self.config.body_template, phone, text.expose());
        let mut request = self
            .client
            .post(&self.config.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(auth) = &self.config.auth_header {
            request = request.header(reqwest::header::AUTHORIZATION, auth.expose());
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => {
                tracing::warn!(status = %response.status(), "SMS gateway refused a code message");
                Err(Error::CodeDeliveryFailed)
            }
            Err(e) => {
                tracing::warn!(error = %e.without_url(), "SMS gateway unreachable");
                Err(Error::CodeDeliveryFailed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_template_escapes_its_values() {
        let body = render_body(
            r#"{"to":"{phone}","text":"{text}"}"#,
            "+79141234567",
            "Код «x»: \"1\"\n",
        );
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["text"], "Код «x»: \"1\"\n");
        assert_eq!(parsed["to"], "+79141234567");
    }
}
