//! Connection settings and where moveforce keeps its files.
//!
//! Settings come from command-line flags, then `MOVEFORCE_*` environment variables, then the
//! saved config file. The file holds secrets, so it is written readable by its owner only
//! and refused when anyone else can read it.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

pub const DEFAULT_API_VERSION: &str = "62.0";
pub const DEFAULT_LOGIN_URL: &str = "https://login.salesforce.com";

/// How moveforce gets its OAuth token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// Username-password flow (legacy; blocked by default in orgs created since Summer '23).
    #[default]
    Password,
    /// Client-credentials flow against the org's My Domain URL, acting as the app's run-as user.
    ClientCredentials,
}

impl Flow {
    pub fn parse(text: &str) -> Option<Flow> {
        match text.trim() {
            "password" => Some(Flow::Password),
            "client_credentials" | "client-credentials" => Some(Flow::ClientCredentials),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Flow::Password => "password",
            Flow::ClientCredentials => "client_credentials",
        }
    }
}

/// Everything needed to reach one org as the integration user.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ConnectionSettings {
    pub login_url: String,
    pub flow: Flow,
    pub client_id: String,
    pub client_secret: Secret,
    pub username: String,
    pub password: Secret,
    pub security_token: Secret,
    pub api_version: String,
}

impl fmt::Debug for ConnectionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionSettings")
            .field("login_url", &self.login_url)
            .field("flow", &self.flow)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("security_token", &self.security_token)
            .field("api_version", &self.api_version)
            .finish()
    }
}

impl ConnectionSettings {
    /// What is missing before a connection can be tried, in words.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.login_url.trim().is_empty() {
            missing.push("login URL");
        }
        if self.client_id.trim().is_empty() {
            missing.push("client id");
        }
        if self.client_secret.is_empty() {
            missing.push("client secret");
        }
        if self.flow == Flow::Password {
            if self.username.trim().is_empty() {
                missing.push("username");
            }
            if self.password.is_empty() {
                missing.push("password");
            }
        }
        missing
    }

    pub fn api_version(&self) -> &str {
        if self.api_version.trim().is_empty() {
            DEFAULT_API_VERSION
        } else {
            self.api_version.trim()
        }
    }
}

/// One optional value per setting, as each source gives it; merged in priority order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsLayer {
    pub login_url: Option<String>,
    pub flow: Option<Flow>,
    pub client_id: Option<String>,
    #[serde(default, with = "opt_secret")]
    pub client_secret: Option<Secret>,
    pub username: Option<String>,
    #[serde(default, with = "opt_secret")]
    pub password: Option<Secret>,
    #[serde(default, with = "opt_secret")]
    pub security_token: Option<Secret>,
    pub api_version: Option<String>,
}

mod opt_secret {
    use super::Secret;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(secret) => s.serialize_str(secret.expose()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(Secret::new))
    }
}

impl SettingsLayer {
    /// `self` wins where it has a value.
    pub fn over(self, lower: SettingsLayer) -> SettingsLayer {
        SettingsLayer {
            login_url: self.login_url.or(lower.login_url),
            flow: self.flow.or(lower.flow),
            client_id: self.client_id.or(lower.client_id),
            client_secret: self.client_secret.or(lower.client_secret),
            username: self.username.or(lower.username),
            password: self.password.or(lower.password),
            security_token: self.security_token.or(lower.security_token),
            api_version: self.api_version.or(lower.api_version),
        }
    }

    pub fn resolve(self) -> ConnectionSettings {
        ConnectionSettings {
            login_url: self
                .login_url
                .unwrap_or_else(|| DEFAULT_LOGIN_URL.to_owned()),
            flow: self.flow.unwrap_or_default(),
            client_id: self.client_id.unwrap_or_default(),
            client_secret: self.client_secret.unwrap_or_default(),
            username: self.username.unwrap_or_default(),
            password: self.password.unwrap_or_default(),
            security_token: self.security_token.unwrap_or_default(),
            api_version: self
                .api_version
                .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned()),
        }
    }

    pub fn from_settings(settings: &ConnectionSettings) -> SettingsLayer {
        let secret = |s: &Secret| (!s.is_empty()).then(|| s.clone());
        SettingsLayer {
            login_url: Some(settings.login_url.clone()),
            flow: Some(settings.flow),
            client_id: Some(settings.client_id.clone()),
            client_secret: secret(&settings.client_secret),
            username: Some(settings.username.clone()),
            password: secret(&settings.password),
            security_token: secret(&settings.security_token),
            api_version: Some(settings.api_version.clone()),
        }
    }

    /// The `MOVEFORCE_*` variables, read through `lookup` so tests need not touch the
    /// process environment.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<SettingsLayer, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let flow = match get("MOVEFORCE_FLOW") {
            Some(text) => Some(Flow::parse(&text).ok_or_else(|| ConfigError::BadValue {
                source_name: "MOVEFORCE_FLOW".to_owned(),
                reason: format!("\"{text}\" is not `password` or `client_credentials`"),
            })?),
            None => None,
        };
        Ok(SettingsLayer {
            login_url: get("MOVEFORCE_LOGIN_URL"),
            flow,
            client_id: get("MOVEFORCE_CLIENT_ID"),
            client_secret: get("MOVEFORCE_CLIENT_SECRET").map(Secret::new),
            username: get("MOVEFORCE_USERNAME"),
            password: get("MOVEFORCE_PASSWORD").map(Secret::new),
            security_token: get("MOVEFORCE_SECURITY_TOKEN").map(Secret::new),
            api_version: get("MOVEFORCE_API_VERSION"),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{source_name}: {reason}")]
    BadValue { source_name: String, reason: String },
    #[error("cannot read the config file {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error(
        "the config file {path} can be read by other users (mode {mode:o}) and holds secrets; run `chmod 600 {path}` and try again"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("cannot write the config file {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("cannot find a home directory for moveforce's files; set MOVEFORCE_DATA_DIR")]
    NoHome,
}

/// Where moveforce keeps its config, ledger and log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
}

impl Paths {
    /// `MOVEFORCE_DATA_DIR` puts everything in one folder (the demo and tests use this);
    /// otherwise the platform's config and data directories.
    pub fn discover(lookup: impl Fn(&str) -> Option<String>) -> Result<Paths, ConfigError> {
        if let Some(dir) = lookup("MOVEFORCE_DATA_DIR").filter(|d| !d.is_empty()) {
            let dir = PathBuf::from(dir);
            let config_file = lookup("MOVEFORCE_CONFIG")
                .filter(|c| !c.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| dir.join("config.toml"));
            return Ok(Paths {
                config_file,
                data_dir: dir,
            });
        }
        let dirs =
            directories::ProjectDirs::from("", "", "moveforce").ok_or(ConfigError::NoHome)?;
        let config_file = lookup("MOVEFORCE_CONFIG")
            .filter(|c| !c.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| dirs.config_dir().join("config.toml"));
        Ok(Paths {
            config_file,
            data_dir: dirs.data_dir().to_path_buf(),
        })
    }

    pub fn ledger_file(&self) -> PathBuf {
        self.data_dir.join("ledger.sqlite3")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
}

/// Reads the saved settings; a missing file is an empty layer.
pub fn load_file(path: &Path) -> Result<SettingsLayer, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(SettingsLayer::default());
        }
        Err(err) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                reason: err.to_string(),
            });
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(ConfigError::TooOpen {
                    path: path.to_owned(),
                    mode,
                });
            }
        }
    }
    toml::from_str(&text).map_err(|err| ConfigError::Read {
        path: path.to_owned(),
        // toml's message names the line and the key; it never echoes secret values it
        // could not parse beyond the offending token, which is a key name here.
        reason: err.message().to_owned(),
    })
}

/// Writes the settings readable by the owner only, atomically (temp file + rename).
pub fn save_file(path: &Path, layer: &SettingsLayer) -> Result<(), ConfigError> {
    let write_err = |reason: String| ConfigError::Write {
        path: path.to_owned(),
        reason,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| write_err(e.to_string()))?;
    let text = toml::to_string_pretty(layer).map_err(|e| write_err(e.to_string()))?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| write_err(e.to_string()))?;
    // NamedTempFile is created 0600 on Unix, so the secrets are never readable by others,
    // not even for a moment.
    std::io::Write::write_all(&mut temp, text.as_bytes()).map_err(|e| write_err(e.to_string()))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| write_err(e.to_string()))?;
    temp.persist(path).map_err(|e| write_err(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn flags_beat_env_beat_file() {
        let flags = SettingsLayer {
            client_id: Some("from-flag".into()),
            ..Default::default()
        };
        let env_layer = SettingsLayer::from_env(env(&[
            ("MOVEFORCE_CLIENT_ID", "from-env"),
            ("MOVEFORCE_USERNAME", "env-user"),
            ("MOVEFORCE_FLOW", "client_credentials"),
        ]))
        .expect("valid env");
        let file = SettingsLayer {
            username: Some("file-user".into()),
            login_url: Some("https://acme.my.salesforce.com".into()),
            ..Default::default()
        };
        let settings = flags.over(env_layer.over(file)).resolve();
        assert_eq!(settings.client_id, "from-flag");
        assert_eq!(settings.username, "env-user");
        assert_eq!(settings.login_url, "https://acme.my.salesforce.com");
        assert_eq!(settings.flow, Flow::ClientCredentials);
        assert_eq!(settings.api_version, DEFAULT_API_VERSION);
    }

    #[test]
    fn bad_flow_is_named() {
        let err = SettingsLayer::from_env(env(&[("MOVEFORCE_FLOW", "jwt")])).unwrap_err();
        assert!(err.to_string().contains("MOVEFORCE_FLOW"), "{err}");
    }

    #[test]
    fn saved_file_is_private_and_round_trips() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub/config.toml");
        let layer = SettingsLayer {
            client_secret: Some(Secret::new("s3cr3t")),
            username: Some("u@example.com".into()),
            ..Default::default()
        };
        save_file(&path, &layer).expect("saved");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(load_file(&path).expect("loaded"), layer);
    }

    #[cfg(unix)]
    #[test]
    fn open_config_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "username = \"x\"\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = load_file(&path).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn debug_masks_secrets() {
        let settings = ConnectionSettings {
            client_secret: Secret::new("very-secret"),
            password: Secret::new("pw-123"),
            ..Default::default()
        };
        let shown = format!("{settings:?}");
        assert!(
            !shown.contains("very-secret") && !shown.contains("pw-123"),
            "{shown}"
        );
    }
}
