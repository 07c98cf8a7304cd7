//! Turning a failure into what the operator should do about it.

use super::error::SfError;

/// One or more sentences on the likely cause and the fix, when the error is a known one.
pub fn advice(err: &SfError) -> Option<String> {
    match err {
        SfError::Auth {
            error, description, ..
        } => {
            let description = description.to_ascii_lowercase();
            let text = match error.as_str() {
                "invalid_grant" if description.contains("not supported on this domain") => {
                    "The client-credentials flow only works against the org's My Domain URL (https://<domain>.my.salesforce.com), not login. or test.salesforce.com."
                }
                "invalid_grant" if description.contains("no client credentials user") => {
                    "The connected app has no Run As user: in Setup > App Manager > the app > Manage > Edit Policies, enable the Client Credentials Flow and set Run As to the integration user."
                }
                "invalid_grant" => {
                    "Salesforce refused the user's credentials. Any of these cause it: a wrong username or password; a missing or stale security token (reset it from the user's personal settings, then append it); the user's profile Login IP Ranges; or the org blocks the username-password flow (the default for orgs created since Summer '23: Setup > OAuth and OpenID Connect Settings). The client-credentials flow avoids all but the first."
                }
                "invalid_client_id" => {
                    "Salesforce does not know this consumer key: check it was copied whole from the connected app, and that it is the app of this org. A new app takes 2-10 minutes before it works."
                }
                "invalid_client" => {
                    "The consumer secret does not match the consumer key: copy it again from the connected app (Manage Consumer Details)."
                }
                "unsupported_grant_type" => {
                    "This flow is not enabled for the app or the org: enable it in the connected app's OAuth settings, or switch flows."
                }
                "inactive_user" | "inactive_org" => {
                    "The user or the org is inactive, locked or expired: ask a Salesforce admin."
                }
                _ => return None,
            };
            Some(text.to_owned())
        }
        SfError::Api { status, errors } => {
            let code = errors.first().map(|e| e.code.as_str()).unwrap_or("");
            let text = match (status, code) {
                (403, "REQUEST_LIMIT_EXCEEDED") => {
                    "The org's API request allowance is used up for now; wait, or ask an admin about the daily API limit."
                }
                (403, "API_DISABLED_FOR_ORG") | (403, "API_CURRENTLY_DISABLED") => {
                    "The API is not enabled for this user or edition: the integration user's profile needs \"API Enabled\"."
                }
                (410, _) => {
                    "This API version is retired: set a newer one (for example 62.0) in the settings."
                }
                (404, "NOT_FOUND") => {
                    "Salesforce did not find the resource: check the API version, and that the ExternalID__c field exists and is an External ID."
                }
                _ => return None,
            };
            Some(text.to_owned())
        }
        SfError::Transport { .. } => Some(
            "Check the login URL and that this machine can reach it (proxy, VPN, firewall)."
                .to_owned(),
        ),
        _ => None,
    }
}

/// The error and its advice, as one message for the operator.
pub fn explain(err: &SfError) -> String {
    match advice(err) {
        Some(advice) => format!("{err}\n  {advice}"),
        None => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::salesforce::ApiError;

    fn auth(error: &str, description: &str) -> SfError {
        SfError::Auth {
            status: 400,
            error: error.to_owned(),
            description: description.to_owned(),
        }
    }

    fn api(status: u16, code: &str) -> SfError {
        SfError::Api {
            status,
            errors: vec![ApiError {
                code: code.to_owned(),
                message: "m".to_owned(),
                fields: Vec::new(),
            }],
        }
    }

    fn says(err: SfError, words: &[&str]) {
        let text = advice(&err).unwrap_or_default();
        for word in words {
            assert!(text.contains(word), "{err:?}: {text}");
        }
    }

    #[test]
    fn wrong_host_for_client_credentials() {
        says(
            auth("invalid_grant", "request not supported on this domain"),
            &["My Domain"],
        );
    }

    #[test]
    fn no_run_as_user() {
        says(
            auth("invalid_grant", "no client credentials user enabled"),
            &["Run As"],
        );
    }

    #[test]
    fn authentication_failure_lists_every_cause_and_the_other_flow() {
        says(
            auth("invalid_grant", "authentication failure"),
            &[
                "password",
                "security token",
                "Login IP Ranges",
                "Summer '23",
                "client-credentials",
            ],
        );
    }

    #[test]
    fn unknown_consumer_key_mentions_the_delay() {
        says(
            auth("invalid_client_id", "client identifier invalid"),
            &["2-10 minutes"],
        );
    }

    #[test]
    fn wrong_secret() {
        says(
            auth("invalid_client", "invalid client credentials"),
            &["consumer secret"],
        );
    }

    #[test]
    fn flow_not_enabled() {
        says(
            auth("unsupported_grant_type", "grant type not supported"),
            &["switch flows"],
        );
    }

    #[test]
    fn inactive_user() {
        says(auth("inactive_user", "user is inactive"), &["inactive"]);
    }

    #[test]
    fn api_disabled_for_the_user() {
        says(api(403, "API_DISABLED_FOR_ORG"), &["API Enabled"]);
        says(api(403, "API_CURRENTLY_DISABLED"), &["API Enabled"]);
    }

    #[test]
    fn daily_limit() {
        says(api(403, "REQUEST_LIMIT_EXCEEDED"), &["allowance"]);
    }

    #[test]
    fn retired_version() {
        says(api(410, "GONE"), &["newer"]);
    }

    #[test]
    fn unreachable_host() {
        says(
            SfError::Transport {
                url: "https://x".to_owned(),
                reason: "cannot connect".to_owned(),
            },
            &["login URL"],
        );
    }

    #[test]
    fn unknown_errors_get_no_made_up_advice() {
        assert_eq!(advice(&auth("weird", "thing")), None);
        assert_eq!(advice(&api(400, "FIELD_CUSTOM_VALIDATION_EXCEPTION")), None);
    }
}
