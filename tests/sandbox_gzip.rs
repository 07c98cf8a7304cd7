//! Compressed bodies, as Salesforce takes and gives them: `Content-Encoding: gzip` request
//! bodies on the data endpoints, and gzipped answers over about 1 KB for a request that
//! says `Accept-Encoding: gzip`.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::{GzEncoder, ZlibEncoder};
use moveforce::sandbox::{Sandbox, SandboxConfig, SandboxCredentials};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const V: &str = "v62.0";

struct Env {
    sandbox: Sandbox,
    http: reqwest::Client,
    base: String,
    token: String,
}

async fn start() -> Env {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox starts");
    let http = reqwest::Client::new();
    let base = sandbox.base_url();
    let creds = SandboxCredentials::default();
    let token: Value = http
        .post(format!("{base}/services/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", creds.client_id.as_str()),
            ("client_secret", creds.client_secret.as_str()),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token JSON");
    let token = token["access_token"].as_str().expect("token").to_string();
    Env {
        sandbox,
        http,
        base,
        token,
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

fn case(i: usize) -> Value {
    json!({
        "attributes": {"type": "Case"},
        "ExternalID__c": format!("gz-{i:04}"),
        "Subject": format!("Seat move {i}: a subject long enough to make the answers add up"),
    })
}

impl Env {
    fn url(&self, path: &str) -> String {
        format!("{}/services/data/{V}/{path}", self.base)
    }

    /// Sends `body` compressed with `encoding`; (status, JSON answer, Sforce-Limit-Info).
    async fn send_encoded(
        &self,
        method: reqwest::Method,
        path: &str,
        encoding: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value, Option<String>) {
        let response = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .header("Content-Type", "application/json")
            .header("Content-Encoding", encoding)
            .body(body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        let limit = response
            .headers()
            .get("Sforce-Limit-Info")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = response.bytes().await.expect("body");
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON answer")
        };
        (status, value, limit)
    }

    async fn count(&self) -> u64 {
        let page: Value = self
            .http
            .get(self.url("query"))
            .bearer_auth(&self.token)
            .query(&[("q", "SELECT COUNT() FROM Case")])
            .send()
            .await
            .expect("query")
            .json()
            .await
            .expect("query JSON");
        page["totalSize"].as_u64().unwrap_or(u64::MAX)
    }

    /// One HTTP/1.1 GET written by hand, so nothing between the test and the server adds
    /// or strips encodings: (status line, lower-cased headers, raw body).
    async fn raw_get(&self, path_and_query: &str, accept: Option<&str>) -> RawAnswer {
        let addr = self.sandbox.addr();
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let accept = accept
            .map(|a| format!("Accept-Encoding: {a}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "GET /services/data/{V}/{path_and_query} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n{accept}Connection: close\r\n\r\n",
            self.token
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("write request");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read answer");
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("end of headers");
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut lines = head.lines();
        let status = lines.next().unwrap_or_default().to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        let chunked = headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
        if chunked {
            body = dechunk(&body);
        }
        RawAnswer {
            status,
            headers,
            body,
        }
    }
}

struct RawAnswer {
    status: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawAnswer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&data[..end]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}

fn query_path(soql: &str) -> String {
    let q: String = url::form_urlencoded::byte_serialize(soql.as_bytes()).collect();
    format!("query?q={q}")
}

#[tokio::test]
async fn gzip_request_bodies_are_accepted_on_data_endpoints() {
    let env = start().await;
    // sObject Collections upsert.
    let records: Vec<Value> = (0..3).map(case).collect();
    let body = serde_json::to_vec(&json!({"allOrNone": false, "records": records})).expect("body");
    let (status, answer, limit) = env
        .send_encoded(
            reqwest::Method::PATCH,
            "composite/sobjects/Case/ExternalID__c",
            "gzip",
            gzip(&body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let created: Vec<bool> = answer
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["success"] == json!(true) && r["created"] == json!(true))
        .collect();
    assert_eq!(created, vec![true; 3], "{answer}");
    assert!(limit.is_some_and(|l| l.starts_with("api-usage=")));
    // Single-record create and upsert by external id.
    let one = serde_json::to_vec(&json!({"Subject": "gzipped create"})).expect("body");
    let (status, answer, _) = env
        .send_encoded(reqwest::Method::POST, "sobjects/Case", "gzip", gzip(&one))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let (status, answer, _) = env
        .send_encoded(
            reqwest::Method::PATCH,
            "sobjects/Case/ExternalID__c/gz-0001",
            "x-gzip",
            gzip(&serde_json::to_vec(&json!({"Subject": "renamed"})).expect("body")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["created"], json!(false));
    // deflate (zlib), which Salesforce also takes.
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::fast());
    zlib.write_all(&serde_json::to_vec(&json!({"Subject": "deflated"})).expect("body"))
        .expect("zlib");
    let (status, answer, _) = env
        .send_encoded(
            reqwest::Method::POST,
            "sobjects/Case",
            "deflate",
            zlib.finish().expect("zlib"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(env.count().await, 5);
    let stored: Value = env
        .http
        .get(env.url("sobjects/Case/ExternalID__c/gz-0001"))
        .bearer_auth(&env.token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("record");
    assert_eq!(stored["Subject"], json!("renamed"));
}

#[tokio::test]
async fn a_body_that_does_not_inflate_is_a_json_parser_error() {
    let env = start().await;
    let plain =
        serde_json::to_vec(&json!({"allOrNone": false, "records": [case(1)]})).expect("body");
    for (method, path) in [
        (
            reqwest::Method::PATCH,
            "composite/sobjects/Case/ExternalID__c",
        ),
        (reqwest::Method::POST, "composite/sobjects"),
        (reqwest::Method::POST, "sobjects/Case"),
    ] {
        // Plain JSON that claims to be gzip, then a gzip stream cut short.
        let mut cut = gzip(&plain);
        cut.truncate(cut.len() / 2);
        for body in [plain.clone(), cut] {
            let (status, answer, limit) =
                env.send_encoded(method.clone(), path, "gzip", body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
            assert_eq!(
                answer[0]["errorCode"],
                json!("JSON_PARSER_ERROR"),
                "{answer}"
            );
            assert!(
                answer[0]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("decompress")),
                "{answer}"
            );
            assert!(limit.is_some(), "Sforce-Limit-Info on the 400");
        }
    }
    let (status, answer, _) = env
        .send_encoded(reqwest::Method::POST, "sobjects/Case", "br", plain.clone())
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{answer}");
    assert_eq!(answer[0]["errorCode"], json!("UNSUPPORTED_MEDIA_TYPE"));
    assert_eq!(env.count().await, 0, "nothing was written");
}

#[tokio::test]
async fn answers_over_a_kilobyte_are_gzipped_when_the_request_accepts_it() {
    let env = start().await;
    let records: Vec<Value> = (0..30).map(case).collect();
    let body = serde_json::to_vec(&json!({"allOrNone": false, "records": records})).expect("body");
    let (status, _, _) = env
        .send_encoded(
            reqwest::Method::PATCH,
            "composite/sobjects/Case/ExternalID__c",
            "identity",
            body,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let path = query_path("SELECT Id, ExternalID__c, Subject FROM Case ORDER BY ExternalID__c");

    let zipped = env.raw_get(&path, Some("gzip, deflate, br")).await;
    assert!(zipped.status.contains(" 200 "), "{}", zipped.status);
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert!(
        zipped
            .header("vary")
            .is_some_and(|v| v.eq_ignore_ascii_case("accept-encoding"))
    );
    assert!(
        zipped
            .header("sforce-limit-info")
            .is_some_and(|v| v.starts_with("api-usage="))
    );
    let page: Value = serde_json::from_slice(&gunzip(&zipped.body)).expect("JSON page");
    assert_eq!(page["totalSize"], json!(30));
    assert_eq!(page["records"][0]["ExternalID__c"], json!("gz-0000"));

    let plain = env.raw_get(&path, None).await;
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.header("sforce-limit-info").is_some());
    let same: Value = serde_json::from_slice(&plain.body).expect("plain JSON page");
    assert_eq!(same, page);
    assert!(zipped.body.len() * 3 < plain.body.len(), "gzip pays off");

    let refused = env.raw_get(&path, Some("gzip;q=0, identity")).await;
    assert_eq!(refused.header("content-encoding"), None);

    // A small answer goes out as it is.
    let small = env
        .raw_get(&query_path("SELECT Id FROM Case LIMIT 1"), Some("gzip"))
        .await;
    assert!(small.body.len() < 1024);
    assert_eq!(small.header("content-encoding"), None);
    assert!(small.header("sforce-limit-info").is_some());
    let one: Value = serde_json::from_slice(&small.body).expect("small JSON page");
    assert_eq!(one["totalSize"], json!(1));
}

#[tokio::test]
async fn reqwest_reads_gzipped_answers_transparently() {
    // reqwest (with its gzip feature, as moveforce builds it) asks for gzip and inflates.
    let env = start().await;
    let records: Vec<Value> = (0..30).map(case).collect();
    let body = serde_json::to_vec(&json!({"allOrNone": false, "records": records})).expect("body");
    let (status, answer, _) = env
        .send_encoded(
            reqwest::Method::PATCH,
            "composite/sobjects/Case/ExternalID__c",
            "gzip",
            gzip(&body),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer.as_array().map(Vec::len), Some(30));
    assert_eq!(env.count().await, 30);
}
