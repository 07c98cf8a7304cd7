//! OAuth 2.0 endpoints (password and client-credentials flows), revoke and identity.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::http::{bearer_token, error_array, invalid_session};
use super::{Shared, ids};

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    instance_url: String,
    id: String,
    token_type: &'static str,
    issued_at: String,
    signature: String,
}

/// OAuth errors use an object, not the REST error array.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn bad_request(error: &str, description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, error, description)
}

/// Form parameters; a repeated parameter is an error as in Salesforce.
fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(format!("duplicate parameter: {k}"));
        }
    }
    Ok(out)
}

/// client_id / client_secret from HTTP Basic, when present and well-formed.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// HMAC-SHA256 (RFC 2104) over sha2, for the token response signature.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .into()
}

/// Unguessable session id: org id, '!', then 48 random bytes.
pub(super) fn new_access_token(org_id15: &str) -> Option<String> {
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes).ok()?;
    Some(format!("{org_id15}!{}", URL_SAFE_NO_PAD.encode(bytes)))
}

fn missing(params: &HashMap<String, String>, name: &str) -> bool {
    params.get(name).is_none_or(|v| v.is_empty())
}

pub async fn token(State(st): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let params = match parse_form(&body) {
        Ok(p) => p,
        Err(msg) => return bad_request("invalid_request", &msg),
    };
    let creds = &st.credentials;
    let grant = params.get("grant_type").map(String::as_str).unwrap_or("");
    let (client_id, client_secret) = match (params.get("client_id"), basic_credentials(&headers)) {
        (Some(id), _) => (id.clone(), params.get("client_secret").cloned()),
        (None, Some((id, secret))) if grant == "client_credentials" => (id, Some(secret)),
        (None, _) => (String::new(), params.get("client_secret").cloned()),
    };
    let client_secret = client_secret.unwrap_or_default();
    let scope = match grant {
        "" => return bad_request("invalid_request", "missing required parameter: grant_type"),
        "password" => {
            for name in ["client_id", "client_secret", "username", "password"] {
                if missing(&params, name) {
                    return bad_request(
                        "invalid_request",
                        &format!("missing required parameter: {name}"),
                    );
                }
            }
            None
        }
        "client_credentials" => {
            if let Some(error) = &st.quirks.client_credentials_disabled_error {
                return bad_request(error, "client credentials flow not enabled for this app");
            }
            if client_id.is_empty() || client_secret.is_empty() {
                return bad_request(
                    "invalid_request",
                    "missing required parameter: client_id and client_secret",
                );
            }
            Some("api")
        }
        _ => return bad_request("unsupported_grant_type", "grant type not supported"),
    };
    if client_id != creds.client_id {
        return bad_request("invalid_client_id", "client identifier invalid");
    }
    if client_secret != creds.client_secret {
        // 400 is documented; 401 has been reported. Configurable.
        let status = StatusCode::from_u16(st.quirks.invalid_client_status)
            .unwrap_or(StatusCode::BAD_REQUEST);
        return oauth_error(status, "invalid_client", "invalid client credentials");
    }
    if grant == "password" {
        let username = params.get("username").map(String::as_str).unwrap_or("");
        let password = params.get("password").map(String::as_str).unwrap_or("");
        let expected = format!(
            "{}{}",
            creds.password,
            creds.security_token.as_deref().unwrap_or("")
        );
        // Usernames are case-insensitive; passwords and tokens are not.
        if !username.eq_ignore_ascii_case(&creds.username) || password != expected {
            return bad_request("invalid_grant", "authentication failure");
        }
    }
    let mut org = st.org();
    let Some(access_token) = new_access_token(org.org_id15()) else {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "could not generate a session id",
        );
    };
    org.add_session(access_token.clone(), super::setup::Principal::Integration);
    let id = format!("{}/id/{}/{}", st.base_url, org.org_id, org.user_id);
    drop(org);
    let issued_at = jiff::Timestamp::now().as_millisecond().to_string();
    let signature = STANDARD.encode(hmac_sha256(
        creds.client_secret.as_bytes(),
        format!("{id}{issued_at}").as_bytes(),
    ));
    let response = TokenResponse {
        access_token,
        scope,
        instance_url: st.base_url.clone(),
        id,
        token_type: "Bearer",
        issued_at,
        signature,
    };
    (StatusCode::OK, axum::Json(response)).into_response()
}

pub async fn revoke(State(st): State<Arc<Shared>>, body: Bytes) -> Response {
    let params = match parse_form(&body) {
        Ok(p) => p,
        Err(msg) => return bad_request("invalid_request", &msg),
    };
    let Some(token) = params.get("token").filter(|t| !t.is_empty()) else {
        return bad_request("invalid_request", "missing required parameter: token");
    };
    if st.org().revoke_session(token) {
        StatusCode::OK.into_response()
    } else {
        bad_request("invalid_token", "invalid token")
    }
}

pub async fn identity(
    State(st): State<Arc<Shared>>,
    Path((org_id, user_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut org = st.org();
    let authorized = bearer_token(&headers)
        .map(str::to_string)
        .is_some_and(|t| org.session_valid(&t, st.session_ttl));
    if !authorized {
        return invalid_session();
    }
    let same = |a: &str, b: &str| ids::key(a).is_some_and(|k| Some(k) == ids::key(b));
    if !same(&org_id, &org.org_id) || !same(&user_id, &org.user_id) {
        return error_array(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        );
    }
    let base = &st.base_url;
    let v = "v66.0";
    let body = json!({
        "id": format!("{base}/id/{}/{}", org.org_id, org.user_id),
        "asserted_user": true,
        "user_id": org.user_id,
        "organization_id": org.org_id,
        "username": org.username,
        "nick_name": "integration",
        "display_name": "Integration User",
        "email": org.username,
        "email_verified": true,
        "first_name": "Integration",
        "last_name": "User",
        "active": true,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": 0,
        "urls": {
            "rest": format!("{base}/services/data/{v}/"),
            "sobjects": format!("{base}/services/data/{v}/sobjects/"),
            "query": format!("{base}/services/data/{v}/query/"),
            "limits": format!("{base}/services/data/{v}/limits/"),
            "profile": format!("{base}/{}", org.user_id),
        },
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn tokens_are_random() {
        let a = new_access_token("00D000000000001");
        let b = new_access_token("00D000000000001");
        assert!(a.is_some() && a != b);
        assert!(a.is_some_and(|t| t.starts_with("00D000000000001!") && t.len() > 60));
    }
}
