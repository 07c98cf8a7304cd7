//! HTTP routing and the REST data handlers.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Extension, Router};
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value, json};

use super::faults::{Decision, Fault, FaultRequest};
use super::schema::{self, FieldDef};
use super::setup::Principal;
use super::store::{
    COLLECTION_LIMIT, Lookup, RecordError, Rendered, RowType, SaveMode, SaveResult, cell,
};
use super::{EXTERNAL_ID_FIELD, Shared, compression, oauth, setup_http, soql};

/// The versions this org serves (Summer '14 … Spring '26).
const OLDEST_VERSION: u32 = 31;
const NEWEST_VERSION: u32 = 66;
/// 7.0–20.0 were retired in Summer '22 and 21.0–30.0 in Summer '25: they answer 410.
const OLDEST_RETIRED: u32 = 7;
/// Upsert answers carry `created`, and collections upsert exists, from 46.0.
const UPSERT_CREATED_FLAG: u32 = 46;
const DAILY_API_LIMIT: u64 = 15000;
/// Collections bodies can carry 200 records with 32,000-char descriptions.
const BODY_LIMIT: usize = 32 * 1024 * 1024;

type St = State<Arc<Shared>>;

pub fn router(shared: Arc<Shared>) -> Router {
    let d = "/services/data/{version}";
    Router::new()
        .route("/services/oauth2/token", post(oauth::token))
        .route("/services/oauth2/revoke", post(oauth::revoke))
        .route("/id/{org}/{user}", get(oauth::identity))
        .route("/services/data", get(versions))
        .route("/services/data/", get(versions))
        .route(d, get(resources))
        .route(&format!("{d}/"), get(resources))
        .route(&format!("{d}/limits"), get(limits))
        .route(&format!("{d}/limits/"), get(limits))
        .route(&format!("{d}/sobjects"), get(describe_global))
        .route(&format!("{d}/sobjects/"), get(describe_global))
        .route(
            &format!("{d}/sobjects/{{sobject}}"),
            get(basic_info).post(create_one),
        )
        .route(
            &format!("{d}/sobjects/{{sobject}}/"),
            get(basic_info).post(create_one),
        )
        .route(&format!("{d}/sobjects/{{sobject}}/describe"), get(describe))
        .route(
            &format!("{d}/sobjects/{{sobject}}/describe/"),
            get(describe),
        )
        .route(
            &format!("{d}/sobjects/{{sobject}}/{{id}}"),
            get(get_one).patch(update_one).delete(delete_one),
        )
        .route(
            &format!("{d}/sobjects/{{sobject}}/{{field}}/{{value}}"),
            get(get_by_external_id)
                .patch(upsert_by_external_id)
                .delete(delete_by_external_id),
        )
        .route(
            &format!("{d}/composite/sobjects"),
            post(create_many).delete(delete_many),
        )
        .route(
            &format!("{d}/composite/sobjects/{{sobject}}/{{field}}"),
            patch(upsert_many),
        )
        .route(
            &format!("{d}/composite/sobjects/{{sobject}}"),
            get(retrieve_many_get).post(retrieve_many_post),
        )
        .route(
            &format!("{d}/tooling/sobjects/{{sobject}}"),
            post(setup_http::tooling_create),
        )
        .route(
            &format!("{d}/tooling/sobjects/{{sobject}}/{{id}}"),
            get(setup_http::tooling_get)
                .patch(setup_http::tooling_update)
                .delete(setup_http::tooling_delete),
        )
        .route(
            &format!("{d}/tooling/query"),
            get(setup_http::tooling_query),
        )
        .route(
            &format!("{d}/tooling/query/"),
            get(setup_http::tooling_query),
        )
        .route(&format!("{d}/query"), get(query))
        .route(&format!("{d}/query/"), get(query))
        .route(&format!("{d}/queryAll"), get(query_all))
        .route(&format!("{d}/queryAll/"), get(query_all))
        .route(&format!("{d}/query/{{locator}}"), get(query_more))
        .route(&format!("{d}/queryAll/{{locator}}"), get(query_more))
        .route(
            &format!("{d}/composite/sobjects/"),
            post(create_many).delete(delete_many),
        )
        .route(
            "/__sandbox/fault",
            post(control_fault).delete(control_clear),
        )
        .route("/__sandbox/sessions/expire", post(control_expire))
        .route("/__sandbox/external-id-unique", post(control_unique))
        .route("/__sandbox/api-usage", post(control_usage))
        .route("/__sandbox/stats", get(control_stats))
        .route("/__sandbox/admin-session", post(control_admin_session))
        .route("/__sandbox/user", post(control_user))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

// ---------------------------------------------------------------- responses

#[derive(Serialize)]
struct ApiError<'a> {
    message: &'a str,
    #[serde(rename = "errorCode")]
    error_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<Vec<String>>,
}

pub(super) fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The REST error body: an array with one `{message, errorCode}`.
pub fn error_array(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        &[ApiError {
            message,
            error_code: code,
            fields: None,
        }],
    )
}

pub(super) fn error_with_fields(
    status: StatusCode,
    code: &str,
    message: &str,
    fields: Vec<String>,
) -> Response {
    json_response(
        status,
        &[ApiError {
            message,
            error_code: code,
            fields: Some(fields),
        }],
    )
}

pub fn invalid_session() -> Response {
    error_array(
        StatusCode::UNAUTHORIZED,
        "INVALID_SESSION_ID",
        "Session expired or invalid",
    )
}

pub(super) fn resource_missing() -> Response {
    error_array(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
}

pub(super) fn bad_request(code: &str, message: &str) -> Response {
    error_array(StatusCode::BAD_REQUEST, code, message)
}

/// A record id that cannot be an id: 404 NOT_FOUND by default, 400 MALFORMED_ID by quirk.
fn malformed_id(st: &Shared, id: &str) -> Response {
    if st.quirks.malformed_id_bad_request {
        error_with_fields(
            StatusCode::BAD_REQUEST,
            "MALFORMED_ID",
            &format!("Case ID: id value of incorrect type: {id}"),
            vec!["Id".to_string()],
        )
    } else {
        resource_missing()
    }
}

/// Several Cases share the external id: 300 with the URL of each.
fn multiple_choices(version: &str, rows: &[&[Value]]) -> Response {
    let urls: Vec<String> = rows
        .iter()
        .map(|row| {
            format!(
                "/services/data/{version}/sobjects/Case/{}",
                row[schema::ID].as_str().unwrap_or_default()
            )
        })
        .collect();
    json_response(StatusCode::MULTIPLE_CHOICES, &urls)
}

/// One save result as JSON: without `created` before 46.0, with empty `warnings` and
/// `infos` when that quirk is on.
pub(super) fn save_json<'a>(st: &Shared, version: &str, result: &'a SaveResult) -> SaveJson<'a> {
    SaveJson {
        result,
        created: parse_version(version).is_none_or(|v| v >= UPSERT_CREATED_FLAG),
        extras: st.quirks.save_result_extras,
    }
}

/// A save result written straight to the response, keys in alphabetical order (as they
/// always came out of a JSON object here).
pub(super) struct SaveJson<'a> {
    result: &'a SaveResult,
    /// Whether `created` is shown (API 46.0 and later).
    created: bool,
    /// Empty `warnings` and `infos` arrays.
    extras: bool,
}

impl Serialize for SaveJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.result;
        let none: [u8; 0] = [];
        let mut map = s.serialize_map(None)?;
        if let Some(created) = r.created.filter(|_| self.created) {
            map.serialize_entry("created", &created)?;
        }
        let errors: Vec<ErrorJson<'_>> = r.errors.iter().map(ErrorJson).collect();
        map.serialize_entry("errors", &errors)?;
        if let Some(id) = &r.id {
            map.serialize_entry("id", id)?;
        }
        if self.extras {
            map.serialize_entry("infos", &none)?;
        }
        map.serialize_entry("success", &r.success)?;
        if self.extras {
            map.serialize_entry("warnings", &none)?;
        }
        map.end()
    }
}

/// One error of a save result, keys in alphabetical order.
struct ErrorJson<'a>(&'a RecordError);

impl Serialize for ErrorJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("fields", &self.0.fields)?;
        map.serialize_entry("message", &self.0.message)?;
        map.serialize_entry("statusCode", self.0.status_code)?;
        map.end()
    }
}

fn save_results(st: &Shared, version: &str, results: &[SaveResult]) -> Response {
    let list: Vec<SaveJson<'_>> = results.iter().map(|r| save_json(st, version, r)).collect();
    json_response(StatusCode::OK, &list)
}

fn entity_is_deleted() -> Response {
    error_with_fields(
        StatusCode::NOT_FOUND,
        "ENTITY_IS_DELETED",
        "entity is deleted",
        vec![],
    )
}

async fn not_found() -> Response {
    resource_missing()
}

async fn method_not_allowed(method: Method) -> Response {
    error_array(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        &format!("HTTP Method '{method}' not allowed for this resource"),
    )
}

// ---------------------------------------------------------------- auth, versions, limits

/// `Bearer <token>` or the legacy `OAuth <token>`.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let ok = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth");
    (ok && !token.trim().is_empty()).then(|| token.trim())
}

/// What the version segment of a data path means to this org.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ApiVersion {
    Served(u32),
    Retired,
    Unknown,
}

/// "v62.0" → served; "v30.0" → retired; "v62", "v62.1", "v67.0" → unknown.
fn classify_version(segment: &str) -> ApiVersion {
    let Some((major, minor)) = segment.strip_prefix('v').and_then(|s| s.split_once('.')) else {
        return ApiVersion::Unknown;
    };
    let digits = !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit());
    if minor != "0" || !digits || major.len() > 2 || major.starts_with('0') {
        return ApiVersion::Unknown;
    }
    match major.parse::<u32>() {
        Ok(v) if (OLDEST_VERSION..=NEWEST_VERSION).contains(&v) => ApiVersion::Served(v),
        Ok(v) if (OLDEST_RETIRED..OLDEST_VERSION).contains(&v) => ApiVersion::Retired,
        _ => ApiVersion::Unknown,
    }
}

/// "v62.0" → 62 when this org serves that version.
fn parse_version(segment: &str) -> Option<u32> {
    match classify_version(segment) {
        ApiVersion::Served(v) => Some(v),
        _ => None,
    }
}

fn daily_limit(st: &Shared) -> u64 {
    st.api_limit.unwrap_or(DAILY_API_LIMIT)
}

fn limit_header(used: u64, limit: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("api-usage={used}/{limit}"))
        .unwrap_or_else(|_| HeaderValue::from_static("api-usage=0/15000"))
}

fn version_retired() -> Response {
    error_array(
        StatusCode::GONE,
        "GONE",
        &format!(
            "This version of the REST API has been retired. Use version {OLDEST_VERSION}.0 or later; /services/data/ lists the versions this org serves."
        ),
    )
}

fn request_limit_exceeded() -> Response {
    error_array(
        StatusCode::FORBIDDEN,
        "REQUEST_LIMIT_EXCEEDED",
        "TotalRequests Limit exceeded.",
    )
}

/// The fault-injected row lock for one collections request: a number that picks the record.
#[derive(Clone, Copy, Debug)]
pub struct RowLock(u64);

impl RowLock {
    fn position(lock: Option<Extension<RowLock>>, len: usize) -> Option<usize> {
        let Extension(RowLock(bits)) = lock?;
        (len > 0).then(|| (bits % len as u64) as usize)
    }
}

/// sObject Collections upsert (PATCH …/composite/sobjects/{type}/{field}) or delete
/// (DELETE …/composite/sobjects): where a row-lock fault can hit single records.
fn is_collection_write(method: &Method, rest: &str) -> bool {
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    if parts.get(1) != Some(&"composite") || parts.get(2) != Some(&"sobjects") {
        return false;
    }
    (method == Method::PATCH && parts.len() == 5) || (method == Method::DELETE && parts.len() == 3)
}

/// The response of an injected fault. A dropped connection never answers: the connection
/// is aborted and this future is dropped with it.
async fn fault_response(fault: Fault, req: Request, rest_shape: bool) -> Response {
    match fault {
        Fault::Status {
            status,
            error_code,
            message,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            if rest_shape {
                error_array(status, &error_code, &message)
            } else {
                json_response(
                    status,
                    &json!({"error": error_code, "error_description": message}),
                )
            }
        }
        Fault::Drop => {
            let connection = req
                .extensions()
                .get::<axum_server::ConnectionShutdown>()
                .cloned();
            drop(req);
            if let Some(connection) = connection {
                connection.shutdown();
                std::future::pending::<()>().await;
            }
            // Only reachable when not served by axum-server (no connection to drop).
            error_array(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVER_UNAVAILABLE",
                "connection dropped",
            )
        }
        Fault::RowLock => error_array(
            StatusCode::BAD_REQUEST,
            "UNABLE_TO_LOCK_ROW",
            "unable to obtain exclusive access to this record",
        ),
    }
}

/// Every request but the `/__sandbox/…` control calls (which pass straight through): see
/// [`serve`]; then an answer larger than about 1 KB is gzipped when the request accepts it.
async fn guard(State(st): St, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/__sandbox/") {
        return next.run(req).await;
    }
    let gzip = compression::accepts_gzip(req.headers());
    let response = serve(st, req, next).await;
    if gzip {
        compression::gzip_response(response).await
    } else {
        response
    }
}

/// Added latency; forced faults on the token endpoint; and for each
/// `/services/data/vNN.N/…` call the session check, the daily limit, the version check,
/// fault injection, the usage count, request bodies inflated (`Content-Encoding: gzip` or
/// `deflate`) and the Sforce-Limit-Info header. The version list itself needs no session.
async fn serve(st: Arc<Shared>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if !st.latency.is_zero() {
        tokio::time::sleep(st.latency).await;
    }
    if path == "/services/oauth2/token" {
        let forced = st.faults().check_token();
        return match forced {
            Some(fault) => fault_response(fault, req, false).await,
            None => next.run(req).await,
        };
    }
    let Some(rest) = path.strip_prefix("/services/data/") else {
        return next.run(req).await;
    };
    let segment = rest.split('/').next().unwrap_or("");
    if segment.is_empty() {
        return next.run(req).await;
    }
    let limit = daily_limit(&st);
    let (who, over_limit, used) = {
        let mut org = st.org();
        let who = bearer_token(req.headers())
            .map(str::to_string)
            .and_then(|t| org.session(&t, st.session_ttl));
        let authorized = who.is_some();
        let over_limit = authorized && st.api_limit.is_some_and(|l| org.api_usage >= l);
        if authorized && !over_limit {
            org.api_usage += 1;
        }
        (who, over_limit, org.api_usage)
    };
    let authorized = who.is_some();
    if let Some(who) = who {
        req.extensions_mut().insert(who);
    }
    let method = req.method().clone();
    let mut response = if !authorized {
        invalid_session()
    } else if over_limit {
        request_limit_exceeded()
    } else {
        match classify_version(segment) {
            ApiVersion::Unknown => resource_missing(),
            ApiVersion::Retired => version_retired(),
            ApiVersion::Served(_) => {
                let decision = st.faults().check_data(is_collection_write(&method, rest));
                match decision {
                    Decision::Fail(fault) => fault_response(fault, req, true).await,
                    pass => {
                        if let Decision::LockRow(bits) = pass {
                            req.extensions_mut().insert(RowLock(bits));
                        }
                        match plain_body(req).await {
                            Ok(req) => next.run(req).await,
                            Err(refused) => refused,
                        }
                    }
                }
            }
        }
    };
    // The path only: query strings can carry record data.
    tracing::debug!(%method, %path, status = response.status().as_u16(), "sandbox request");
    response
        .headers_mut()
        .insert("Sforce-Limit-Info", limit_header(used, limit));
    response
}

/// The request with its body inflated when it came compressed; a body that does not inflate
/// gets the 400 JSON_PARSER_ERROR a malformed body gets, an unknown coding a 415.
async fn plain_body(req: Request) -> Result<Request, Response> {
    let coding = compression::request_coding(req.headers()).map_err(|coding| {
        error_array(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            &format!("Content-Encoding '{coding}' is not supported; send gzip or deflate"),
        )
    })?;
    compression::inflate_request(req, coding, BODY_LIMIT)
        .await
        .map_err(|reason| {
            bad_request(
                "JSON_PARSER_ERROR",
                &format!("The request body could not be decompressed: {reason}"),
            )
        })
}

// ---------------------------------------------------------------- control API (tests)

async fn control_fault(State(st): St, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<FaultRequest>(&body)
        .map_err(|e| e.to_string())
        .and_then(FaultRequest::into_fault);
    match parsed {
        Ok((fault, times, target)) => {
            st.faults().force(fault, times, target);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(message) => json_response(StatusCode::BAD_REQUEST, &json!({"error": message})),
    }
}

async fn control_clear(State(st): St) -> Response {
    st.faults().clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn control_expire(State(st): St) -> Response {
    st.org().expire_sessions();
    StatusCode::NO_CONTENT.into_response()
}

async fn control_unique(State(st): St, body: Bytes) -> Response {
    match serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("unique").and_then(Value::as_bool))
    {
        Some(unique) => {
            st.org().force_unique(EXTERNAL_ID_FIELD, unique);
            StatusCode::NO_CONTENT.into_response()
        }
        None => json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "expected {\"unique\": true|false}"}),
        ),
    }
}

async fn control_usage(State(st): St, body: Bytes) -> Response {
    match serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("used").and_then(Value::as_u64))
    {
        Some(used) => {
            st.org().api_usage = used;
            StatusCode::NO_CONTENT.into_response()
        }
        None => json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "expected {\"used\": N}"}),
        ),
    }
}

async fn control_stats(State(st): St) -> Response {
    let (injected, log) = {
        let faults = st.faults();
        let log: Vec<Value> = faults
            .log()
            .iter()
            .map(|(n, kind)| json!({"request": n, "fault": kind}))
            .collect();
        (faults.injected(), log)
    };
    let org = st.org();
    json_response(
        StatusCode::OK,
        &json!({
            "apiUsage": org.api_usage,
            "apiLimit": daily_limit(&st),
            "liveCases": org.live_count(),
            "sessions": org.session_count(),
            "externalIdUnique": org
                .custom_field_named(EXTERNAL_ID_FIELD)
                .is_some_and(|f| f.metadata.unique),
            "userCanCustomize": org.user_can_customize,
            "caseCreate": org.case_access.create,
            "caseDelete": org.case_access.delete,
            "faultsInjected": injected,
            "faultLog": log,
        }),
    )
}

/// `POST /__sandbox/admin-session` → `{"access_token", "instance_url"}`: an admin session
/// (sees every field; may change setup whatever the integration user's permissions).
async fn control_admin_session(State(st): St) -> Response {
    let mut org = st.org();
    let Some(token) = oauth::new_access_token(org.org_id15()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    org.add_session(token.clone(), Principal::Admin);
    json_response(
        StatusCode::OK,
        &json!({"access_token": token, "instance_url": st.base_url}),
    )
}

/// `POST /__sandbox/user` with any of `{"canCustomize": bool, "caseCreate": bool,
/// "caseDelete": bool}`: the integration user's permissions.
async fn control_user(State(st): St, body: Bytes) -> Response {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&body) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "expected {\"canCustomize\"|\"caseCreate\"|\"caseDelete\": bool}"}),
        );
    };
    let mut org = st.org();
    for (key, value) in &map {
        let Some(flag) = value.as_bool() else {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": format!("{key} must be true or false")}),
            );
        };
        match key.as_str() {
            "canCustomize" => org.user_can_customize = flag,
            "caseCreate" => org.case_access.create = flag,
            "caseDelete" => org.case_access.delete = flag,
            other => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": format!("unknown setting {other}")}),
                );
            }
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

fn release_label(v: u32) -> String {
    let k = v - OLDEST_VERSION;
    // 31.0 was Summer '14; then Winter, Spring, Summer each year.
    let season = ["Summer", "Winter", "Spring"][(k % 3) as usize];
    format!("{season} '{:02}", 14 + k.div_ceil(3))
}

async fn versions() -> Response {
    let list: Vec<Value> = (OLDEST_VERSION..=NEWEST_VERSION)
        .map(|v| {
            json!({"label": release_label(v), "url": format!("/services/data/v{v}.0"),
                   "version": format!("{v}.0")})
        })
        .collect();
    json_response(StatusCode::OK, &list)
}

async fn resources(State(st): St, Path(version): Path<String>) -> Response {
    let b = format!("/services/data/{version}");
    let identity = {
        let org = st.org();
        format!("{}/id/{}/{}", st.base_url, org.org_id, org.user_id)
    };
    json_response(
        StatusCode::OK,
        &json!({
            "sobjects": format!("{b}/sobjects"),
            "query": format!("{b}/query"),
            "queryAll": format!("{b}/queryAll"),
            "limits": format!("{b}/limits"),
            "composite": format!("{b}/composite"),
            "identity": identity,
        }),
    )
}

async fn limits(State(st): St) -> Response {
    let used = st.org().api_usage;
    let limit = daily_limit(&st);
    let remaining = limit.saturating_sub(used);
    json_response(
        StatusCode::OK,
        &json!({
            "DailyApiRequests": {"Max": limit, "Remaining": remaining},
            "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DataStorageMB": {"Max": 5, "Remaining": 5},
            "SingleEmail": {"Max": 15, "Remaining": 15},
        }),
    )
}

// ---------------------------------------------------------------- describe

async fn describe_global(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path(version): Path<String>,
) -> Response {
    let org = st.org();
    let body = schema::describe_global(&version, org.object_access(who), org.may_view_setup(who));
    json_response(StatusCode::OK, &body)
}

async fn basic_info(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((version, sobject)): Path<(String, String)>,
) -> Response {
    let org = st.org();
    if !schema::is_case(&sobject) {
        return match schema::setup_basic_info(&version, &sobject, org.may_view_setup(who)) {
            Some(body) => json_response(StatusCode::OK, &body),
            None => resource_missing(),
        };
    }
    json_response(
        StatusCode::OK,
        &schema::basic_info(&version, org.object_access(who)),
    )
}

/// Case describe as the caller sees it: fields without read access are left out, fields
/// without edit access are neither createable nor updateable.
async fn describe(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((version, sobject)): Path<(String, String)>,
) -> Response {
    if !schema::is_case(&sobject) {
        return resource_missing();
    }
    let org = st.org();
    let body = schema::describe(&version, &org.case_fields(who), org.object_access(who));
    drop(org);
    json_response(StatusCode::OK, &body)
}

// ---------------------------------------------------------------- records

/// A record as JSON: `attributes` first, then the fields in the given order. Dotted names
/// ("PermissionSet.Name") become nested related records, as SOQL returns them.
pub(super) struct RecordJson<'a> {
    pub version: &'a str,
    pub object: &'a str,
    pub tooling: bool,
    pub id: &'a str,
    pub fields: Vec<(&'a str, &'a Value)>,
}

fn record_url(version: &str, object: &str, tooling: bool, id: &str) -> String {
    let api = if tooling {
        "tooling/sobjects"
    } else {
        "sobjects"
    };
    format!("/services/data/{version}/{api}/{object}/{id}")
}

/// A record's `attributes`: its type and URL.
#[derive(Serialize)]
struct Attributes<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    url: String,
}

/// A related record inside a query row.
struct Related<'a> {
    attributes: Value,
    fields: Vec<(&'a str, &'a Value)>,
}

impl Serialize for Related<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.fields.len() + 1))?;
        map.serialize_entry("attributes", &self.attributes)?;
        for (name, value) in &self.fields {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl Serialize for RecordJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry(
            "attributes",
            &Attributes {
                kind: self.object,
                url: record_url(self.version, self.object, self.tooling, self.id),
            },
        )?;
        let mut done: Vec<&str> = Vec::new();
        for (name, value) in &self.fields {
            let Some((relation, _)) = name.split_once('.') else {
                map.serialize_entry(name, value)?;
                continue;
            };
            if done.contains(&relation) {
                continue;
            }
            done.push(relation);
            // PermissionSet / Parent → PermissionSet; Profile → Profile.
            let object = if relation.eq_ignore_ascii_case("Profile") {
                "Profile"
            } else {
                "PermissionSet"
            };
            let related_id = self
                .fields
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(&format!("{relation}Id")))
                .and_then(|(_, v)| v.as_str());
            let mut attributes = json!({"type": object});
            if let Some(id) = related_id {
                attributes["url"] = json!(record_url(self.version, object, false, id));
            }
            let fields: Vec<(&str, &Value)> = self
                .fields
                .iter()
                .filter_map(|(n, v)| {
                    n.split_once('.')
                        .filter(|(r, _)| *r == relation)
                        .map(|(_, f)| (f, *v))
                })
                .collect();
            map.serialize_entry(relation, &Related { attributes, fields })?;
        }
        map.end()
    }
}

fn rendered_json<'a>(version: &'a str, row_type: &'a RowType, r: &'a Rendered) -> RecordJson<'a> {
    RecordJson {
        version,
        object: &row_type.object,
        tooling: row_type.tooling,
        id: &r.id,
        fields: r.fields.iter().map(|(n, v)| (n.as_str(), v)).collect(),
    }
}

fn query_params(raw: Option<String>) -> HashMap<String, String> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

/// (canonical name, row column) of the fields a response shows.
type Selected = Vec<(String, usize)>;

/// The `fields=a,b` parameter of a record GET (every readable field when absent).
fn field_list(view: &[FieldDef], params: &HashMap<String, String>) -> Result<Selected, Reject> {
    let Some(list) = params.get("fields") else {
        return Ok(view.iter().map(|f| (f.name.to_string(), f.col)).collect());
    };
    field_indexes(view, list.split(','))
}

/// Field names to (name, column); an unknown or unreadable name refuses the whole request.
fn field_indexes<'a>(
    view: &[FieldDef],
    names: impl Iterator<Item = &'a str>,
) -> Result<Selected, Reject> {
    let mut out: Selected = Vec::new();
    for name in names.map(str::trim).filter(|n| !n.is_empty()) {
        match schema::find(view, name) {
            Some(f) if !out.iter().any(|(_, c)| *c == f.col) => {
                out.push((f.name.to_string(), f.col));
            }
            Some(_) => {}
            None => {
                return Err(reject(
                    "INVALID_FIELD",
                    format!("No such column '{name}' on sobject of type Case"),
                ));
            }
        }
    }
    Ok(out)
}

fn case_json<'a>(version: &'a str, row: &'a [Value], fields: &'a Selected) -> RecordJson<'a> {
    RecordJson {
        version,
        object: "Case",
        tooling: false,
        id: row[schema::ID].as_str().unwrap_or_default(),
        fields: fields
            .iter()
            .map(|(name, col)| (name.as_str(), cell(row, *col)))
            .collect(),
    }
}

fn record_response(version: &str, row: &[Value], fields: &Selected) -> Response {
    json_response(StatusCode::OK, &case_json(version, row, fields))
}

async fn get_one(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((version, sobject, id)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    if !schema::is_case(&sobject) {
        return setup_http::get_setup_record(&st, &version, &sobject, &id);
    }
    let org = st.org();
    let fields = match field_list(&org.case_fields(who), &query_params(raw)) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    match org.lookup(&id) {
        Lookup::Malformed => malformed_id(&st, &id),
        Lookup::Unknown => resource_missing(),
        Lookup::Deleted => entity_is_deleted(),
        Lookup::Live(row) => record_response(&version, row, &fields),
    }
}

async fn delete_one(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((_version, sobject, id)): Path<(String, String, String)>,
) -> Response {
    if !schema::is_case(&sobject) {
        return setup_http::delete_setup_record(&st, who, &sobject, &id);
    }
    if matches!(st.org().lookup(&id), Lookup::Malformed) {
        return malformed_id(&st, &id);
    }
    let result = st.org().delete_one(&id, who);
    delete_response(result)
}

fn delete_response(result: Result<(), &'static str>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err("ENTITY_IS_DELETED") => entity_is_deleted(),
        Err(code @ "INSUFFICIENT_ACCESS_OR_READONLY") => error_with_fields(
            StatusCode::BAD_REQUEST,
            code,
            "insufficient access rights on object id",
            vec![],
        ),
        Err(_) => resource_missing(),
    }
}

/// A whole-request error, kept small so it can travel in a Result.
pub(super) struct Reject {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

pub(super) fn reject(code: &'static str, message: impl Into<String>) -> Reject {
    Reject {
        status: StatusCode::BAD_REQUEST,
        code,
        message: message.into(),
    }
}

impl IntoResponse for Reject {
    fn into_response(self) -> Response {
        error_array(self.status, self.code, &self.message)
    }
}

/// Parses a JSON body; Salesforce answers malformed JSON with JSON_PARSER_ERROR.
pub(super) fn parse_json(body: &[u8]) -> Result<Value, Reject> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(reject(
            "JSON_PARSER_ERROR",
            "The HTTP entity body is required, but this request has no entity body.",
        ));
    }
    serde_json::from_slice(body).map_err(|e: serde_json::Error| {
        let text = e.to_string();
        let text = text
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string();
        reject(
            "JSON_PARSER_ERROR",
            format!("{text} at [line:{}, column:{}]", e.line(), e.column()),
        )
    })
}

/// The per-record error of a single-record write becomes a 400 (or 404) error array.
fn single_failure(result: &super::store::SaveResult) -> Response {
    match result.errors.first() {
        Some(e) if e.status_code == "NOT_FOUND" => resource_missing(),
        Some(e) => error_with_fields(
            StatusCode::BAD_REQUEST,
            e.status_code,
            &e.message,
            e.fields.clone(),
        ),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

pub(super) fn object_body(value: Value) -> Result<Map<String, Value>, Reject> {
    match value {
        Value::Object(m) => Ok(m),
        other => Err(reject(
            "JSON_PARSER_ERROR",
            format!("Cannot deserialize instance of sObject from {other}"),
        )),
    }
}

/// POST /sobjects/Case → 201 `{"id","success","errors"}`.
async fn create_one(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((version, sobject)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let record = match parse_json(&body).and_then(object_body) {
        Ok(r) => r,
        Err(r) => return r.into_response(),
    };
    if !schema::is_case(&sobject) {
        return setup_http::create_setup_record(&st, who, &version, &sobject, record);
    }
    let mut results = st
        .org()
        .save(SaveMode::Create, &[record], false, None, None, who);
    match results.pop() {
        Some(r) if r.success => json_response(StatusCode::CREATED, &save_json(&st, &version, &r)),
        Some(r) => single_failure(&r),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// PATCH /sobjects/Case/{id} → 204.
async fn update_one(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((_version, sobject, id)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let record = match parse_json(&body).and_then(object_body) {
        Ok(r) => r,
        Err(r) => return r.into_response(),
    };
    if !schema::is_case(&sobject) {
        return setup_http::update_setup_record(&st, who, &sobject, &id, record);
    }
    let mut org = st.org();
    match org.lookup(&id) {
        Lookup::Malformed => return malformed_id(&st, &id),
        Lookup::Unknown => return resource_missing(),
        Lookup::Deleted => return entity_is_deleted(),
        Lookup::Live(_) => {}
    }
    let mut results = org.save(SaveMode::Update, &[record], false, Some(&id), None, who);
    match results.pop() {
        Some(r) if r.success => StatusCode::NO_CONTENT.into_response(),
        Some(r) => single_failure(&r),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

// ---------------------------------------------------------------- rows by external id

/// The external-id field named in a URL, as (canonical name, row column), or the 404
/// Salesforce gives for any other field and for one the caller cannot read.
fn external_field(
    st: &Shared,
    who: Principal,
    sobject: &str,
    field: &str,
) -> Result<(String, usize), Reject> {
    let not_found = |message: String| Reject {
        status: StatusCode::NOT_FOUND,
        code: "NOT_FOUND",
        message,
    };
    if !schema::is_case(sobject) {
        return Err(not_found("The requested resource does not exist".into()));
    }
    let view = st.org().case_fields(who);
    schema::find(&view, field)
        .filter(|f| f.external_id)
        .map(|f| (f.name.to_string(), f.col))
        .ok_or_else(|| {
            not_found(format!(
                "Provided external ID field does not exist or is not accessible: {field}"
            ))
        })
}

async fn get_by_external_id(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((version, sobject, field, value)): Path<(String, String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let col = match external_field(&st, who, &sobject, &field) {
        Ok((_, col)) => col,
        Err(r) => return r.into_response(),
    };
    let org = st.org();
    let fields = match field_list(&org.case_fields(who), &query_params(raw)) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    match org.by_key(col, &value).as_slice() {
        [] => resource_missing(),
        [row] => record_response(&version, row, &fields),
        rows => multiple_choices(&version, rows),
    }
}

async fn delete_by_external_id(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((version, sobject, field, value)): Path<(String, String, String, String)>,
) -> Response {
    let col = match external_field(&st, who, &sobject, &field) {
        Ok((_, col)) => col,
        Err(r) => return r.into_response(),
    };
    let mut org = st.org();
    let id = match org.by_key(col, &value).as_slice() {
        [] => return resource_missing(),
        [row] => row[schema::ID].as_str().unwrap_or_default().to_string(),
        rows => return multiple_choices(&version, rows),
    };
    let result = org.delete_one(&id, who);
    delete_response(result)
}

/// PATCH /sobjects/Case/ExternalID__c/{value}: 201 created, 200 updated (204 before 46.0).
async fn upsert_by_external_id(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((version, sobject, field, value)): Path<(String, String, String, String)>,
    body: Bytes,
) -> Response {
    let (name, col) = match external_field(&st, who, &sobject, &field) {
        Ok(found) => found,
        Err(r) => return r.into_response(),
    };
    let mut record = match parse_json(&body).and_then(object_body) {
        Ok(r) => r,
        Err(r) => return r.into_response(),
    };
    let name = name.as_str();
    // The key comes from the URL; the body may repeat it only with the same value.
    let in_body = record
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(k, v)| (k.clone(), v.clone()));
    if let Some((key, v)) = in_body {
        let same = v
            .as_str()
            .is_some_and(|b| b.to_lowercase() == value.to_lowercase());
        if st.quirks.reject_external_id_in_body {
            return error_with_fields(
                StatusCode::BAD_REQUEST,
                "INVALID_FIELD",
                &format!(
                    "Unable to create/update fields: {name}. The external ID field comes from the URL and must not be in the body."
                ),
                vec![name.to_string()],
            );
        }
        if !same {
            return bad_request(
                "INVALID_FIELD",
                &format!("The value of {name} in the body does not match the URL"),
            );
        }
        record.remove(&key);
    }
    let mut org = st.org();
    let matches = org.by_key(col, &value);
    if matches.len() > 1 {
        return multiple_choices(&version, &matches);
    }
    record.insert(name.to_string(), Value::String(value));
    let mut results = org.save(SaveMode::Upsert(col), &[record], false, None, None, who);
    drop(org);
    let Some(result) = results.pop() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match result.created {
        _ if !result.success => single_failure(&result),
        Some(true) => json_response(StatusCode::CREATED, &save_json(&st, &version, &result)),
        // Before 46.0 an update answers 204 with no body.
        _ if parse_version(&version).is_some_and(|v| v < UPSERT_CREATED_FLAG) => {
            StatusCode::NO_CONTENT.into_response()
        }
        _ => json_response(StatusCode::OK, &save_json(&st, &version, &result)),
    }
}

// ---------------------------------------------------------------- sObject Collections

/// sObject Collections create/delete exist from API 42.0.
fn collections_exist(version: &str) -> bool {
    parse_version(version).is_some_and(|v| v >= 42)
}

const TOO_MANY: &str = "record limit reached. cannot submit more than 200 records into this call";

fn too_many_records() -> Response {
    bad_request("EXCEEDED_ID_LIMIT", TOO_MANY)
}

/// Collection records with their canonical sObject type.
type TypedRecords = Vec<(&'static str, Map<String, Value>)>;

/// `{"allOrNone": bool, "records": [...]}` with every record typed: Case, or (when
/// `setup_types`) also PermissionSet, FieldPermissions or PermissionSetAssignment.
/// Returns the records with their canonical type.
fn collection_body(body: &[u8], setup_types: bool) -> Result<(bool, TypedRecords), Reject> {
    let value = parse_json(body)?;
    let mut top = object_body(value)?;
    let all_or_none = match top.remove("allOrNone") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(other) => {
            return Err(reject(
                "JSON_PARSER_ERROR",
                format!("Cannot deserialize value of type `boolean` from {other}"),
            ));
        }
    };
    let records = match top.remove("records") {
        Some(Value::Array(items)) => items,
        _ => {
            return Err(reject(
                "JSON_PARSER_ERROR",
                "The request body must contain a 'records' array",
            ));
        }
    };
    if records.len() > COLLECTION_LIMIT {
        return Err(reject("EXCEEDED_ID_LIMIT", TOO_MANY));
    }
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        let record = object_body(record)?;
        let typ = record
            .get("attributes")
            .and_then(|a| a.get("type"))
            .and_then(Value::as_str);
        let known = match typ {
            Some(t) if schema::is_case(t) => "Case",
            Some(t) if setup_types && setup_http::writable_setup_object(t).is_some() => {
                setup_http::writable_setup_object(t).unwrap_or("Case")
            }
            Some(t) => {
                return Err(reject(
                    "INVALID_TYPE",
                    format!("sObject type '{t}' is not supported."),
                ));
            }
            None => {
                return Err(reject(
                    "INVALID_TYPE",
                    "Must specify a type in the attributes of each record",
                ));
            }
        };
        out.push((known, record));
    }
    Ok((all_or_none, out))
}

/// PATCH /composite/sobjects/Case/{externalIdField} (API 46.0+).
async fn upsert_many(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((version, sobject, field)): Path<(String, String, String)>,
    lock: Option<Extension<RowLock>>,
    body: Bytes,
) -> Response {
    // Collections upsert exists from API 46.0.
    if parse_version(&version).is_none_or(|v| v < UPSERT_CREATED_FLAG) {
        return resource_missing();
    }
    let col = match external_field(&st, who, &sobject, &field) {
        Ok((_, col)) => col,
        Err(r) => return r.into_response(),
    };
    let (all_or_none, records) = match collection_body(&body, false) {
        Ok(parsed) => parsed,
        Err(r) => return r.into_response(),
    };
    let records: Vec<Map<String, Value>> = records.into_iter().map(|(_, r)| r).collect();
    let locked = RowLock::position(lock, records.len());
    let results = st.org().save(
        SaveMode::Upsert(col),
        &records,
        all_or_none,
        None,
        locked,
        who,
    );
    save_results(&st, &version, &results)
}

/// POST /composite/sobjects (create): Cases, or setup records (FieldPermissions, …).
async fn create_many(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path(version): Path<String>,
    body: Bytes,
) -> Response {
    if !collections_exist(&version) {
        return resource_missing();
    }
    let (all_or_none, records) = match collection_body(&body, true) {
        Ok(parsed) => parsed,
        Err(r) => return r.into_response(),
    };
    if records.iter().any(|(t, _)| *t != "Case") {
        let results = setup_http::create_many_setup(&st, who, records, all_or_none);
        return save_results(&st, &version, &results);
    }
    let records: Vec<Map<String, Value>> = records.into_iter().map(|(_, r)| r).collect();
    let results = st
        .org()
        .save(SaveMode::Create, &records, all_or_none, None, None, who);
    save_results(&st, &version, &results)
}

/// DELETE /composite/sobjects?ids=a,b&allOrNone=false.
async fn delete_many(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path(version): Path<String>,
    lock: Option<Extension<RowLock>>,
    RawQuery(raw): RawQuery,
) -> Response {
    if !collections_exist(&version) {
        return resource_missing();
    }
    let params = query_params(raw);
    let ids: Vec<String> = params
        .get("ids")
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if ids.is_empty() {
        return bad_request("MISSING_ARGUMENT", "ids parameter is required");
    }
    if ids.len() > COLLECTION_LIMIT {
        return too_many_records();
    }
    let all_or_none = match params.get("allOrNone").map(|v| v.to_ascii_lowercase()) {
        None => false,
        Some(v) if v == "true" => true,
        Some(v) if v == "false" => false,
        Some(v) => {
            return bad_request(
                "INVALID_QUERY_PARAMETER_VALUE",
                &format!("allOrNone must be true or false, not {v}"),
            );
        }
    };
    if ids.iter().any(|id| setup_http::is_setup_id(id)) {
        let results = setup_http::delete_many_setup(&st, who, &ids, all_or_none);
        return json_response(StatusCode::OK, &results);
    }
    let locked = RowLock::position(lock, ids.len());
    let results = st.org().delete_many(&ids, all_or_none, locked, who);
    json_response(StatusCode::OK, &results)
}

/// sObject Collections retrieve: up to 2,000 ids (POST; GET is bounded by URL length).
const RETRIEVE_LIMIT: usize = 2000;

/// Records aligned with `ids`: the record, or null for a malformed, unknown or deleted id.
fn retrieve_many(
    st: &Shared,
    version: &str,
    sobject: &str,
    ids: &[String],
    fields: Option<Selected>,
) -> Response {
    if !collections_exist(version) || !schema::is_case(sobject) {
        return resource_missing();
    }
    let Some(fields) = fields.filter(|f| !f.is_empty()) else {
        return bad_request("MISSING_ARGUMENT", "fields parameter is required");
    };
    if ids.is_empty() {
        return bad_request("MISSING_ARGUMENT", "ids parameter is required");
    }
    if ids.len() > RETRIEVE_LIMIT {
        return bad_request(
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 2000 records into this call",
        );
    }
    let org = st.org();
    let records: Vec<Value> = ids
        .iter()
        .map(|id| match org.lookup(id) {
            Lookup::Live(row) => {
                serde_json::to_value(case_json(version, row, &fields)).unwrap_or(Value::Null)
            }
            _ => Value::Null,
        })
        .collect();
    json_response(StatusCode::OK, &records)
}

fn comma_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// GET /composite/sobjects/Case?ids=a,b&fields=F1,F2.
async fn retrieve_many_get(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((version, sobject)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = query_params(raw);
    let ids = params.get("ids").map(|s| comma_list(s)).unwrap_or_default();
    let view = st.org().case_fields(who);
    let fields = match params
        .get("fields")
        .map(|f| field_indexes(&view, f.split(',')))
    {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(r)) => return r.into_response(),
    };
    retrieve_many(&st, &version, &sobject, &ids, fields)
}

/// POST /composite/sobjects/Case with `{"ids": [...], "fields": [...]}`.
async fn retrieve_many_post(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((version, sobject)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let top = match parse_json(&body).and_then(object_body) {
        Ok(t) => t,
        Err(r) => return r.into_response(),
    };
    let strings = |key: &str| -> Result<Option<Vec<String>>, Reject> {
        match top.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_string).ok_or_else(|| {
                        reject(
                            "JSON_PARSER_ERROR",
                            format!("Cannot deserialize value of type `String` from {v}"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(reject(
                "JSON_PARSER_ERROR",
                format!("Cannot deserialize value of type `List<String>` from {other}"),
            )),
        }
    };
    let ids = match strings("ids") {
        Ok(ids) => ids.unwrap_or_default(),
        Err(r) => return r.into_response(),
    };
    let fields = match strings("fields") {
        Ok(None) => None,
        Ok(Some(names)) => {
            match field_indexes(&st.org().case_fields(who), names.iter().map(String::as_str)) {
                Ok(f) => Some(f),
                Err(r) => return r.into_response(),
            }
        }
        Err(r) => return r.into_response(),
    };
    retrieve_many(&st, &version, &sobject, &ids, fields)
}

// ---------------------------------------------------------------- query

#[derive(Serialize)]
struct QueryPage<'a> {
    #[serde(rename = "totalSize")]
    total_size: usize,
    done: bool,
    #[serde(rename = "nextRecordsUrl", skip_serializing_if = "Option::is_none")]
    next_records_url: Option<String>,
    records: Vec<RecordJson<'a>>,
}

fn page_response(
    version: &str,
    row_type: &RowType,
    rows: &[Rendered],
    offset: usize,
    page_size: usize,
    next: Option<String>,
) -> Response {
    let end = offset.saturating_add(page_size).min(rows.len());
    let page = QueryPage {
        total_size: rows.len(),
        done: next.is_none(),
        next_records_url: next,
        records: rows
            .get(offset..end)
            .unwrap_or_default()
            .iter()
            .map(|r| rendered_json(version, row_type, r))
            .collect(),
    };
    json_response(StatusCode::OK, &page)
}

fn locator_url(version: &str, query_all: bool, locator: &str, offset: usize) -> String {
    let resource = if query_all { "queryAll" } else { "query" };
    format!("/services/data/{version}/{resource}/{locator}-{offset}")
}

/// The Case table for SOQL as `who` sees it (unreadable fields are not columns).
pub(super) fn case_table(view: &[FieldDef]) -> soql::Table {
    soql::Table {
        object: "Case".into(),
        columns: view
            .iter()
            .map(|f| soql::Column {
                name: f.name.to_string(),
                kind: f.kind,
                filterable: f.filterable(),
                col: f.col,
            })
            .collect(),
        id_col: schema::ID,
        deleted_col: Some(schema::IS_DELETED),
    }
}

/// The `q` parameter, or the 400 for a missing one.
pub(super) fn query_text(raw: Option<String>) -> Result<String, Reject> {
    let params = query_params(raw);
    params
        .get("q")
        .filter(|q| !q.trim().is_empty())
        .cloned()
        .ok_or_else(|| {
            reject(
                "MALFORMED_QUERY",
                "A query string must be provided in the q parameter",
            )
        })
}

async fn run_query(
    st: &Shared,
    who: Principal,
    version: &str,
    raw: Option<String>,
    query_all: bool,
) -> Response {
    let q = match query_text(raw) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let q = q.as_str();
    let raw_query = match soql::parse(q) {
        Ok(p) => p,
        Err(e) => return bad_request(e.code, &e.message),
    };
    if !schema::is_case(raw_query.object()) {
        let org = st.org();
        let Some(table) = org.setup_table(raw_query.object()) else {
            let e = soql::invalid_type(raw_query.object());
            return bad_request(e.code, &e.message);
        };
        drop(org);
        let parsed = match raw_query.bind(q, &soql::Table::simple(table.object, &table.columns)) {
            Ok(p) => p,
            Err(e) => return bad_request(e.code, &e.message),
        };
        let outcome = parsed.run(&table.rows, query_all);
        let row_type = RowType {
            object: table.object.to_string(),
            tooling: false,
        };
        return setup_http::small_result(version, &row_type, outcome, None);
    }
    let mut org = st.org();
    let parsed = match raw_query.bind(q, &case_table(&org.case_fields(who))) {
        Ok(p) => p,
        Err(e) => return bad_request(e.code, &e.message),
    };
    let outcome = org.query_cases(&parsed, query_all);
    let row_type = RowType {
        object: "Case".into(),
        tooling: false,
    };
    if outcome.count_only {
        return json_response(
            StatusCode::OK,
            &json!({"totalSize": outcome.total, "done": true, "records": []}),
        );
    }
    let page_size = st.page_size;
    if outcome.rows.len() <= page_size {
        drop(org);
        return page_response(version, &row_type, &outcome.rows, 0, page_size, None);
    }
    // Snapshot the whole result set; later pages read from it, not from the live org.
    let rows = Arc::new(outcome.rows);
    let locator = org.open_cursor(rows.clone(), query_all, row_type.clone());
    drop(org);
    let next = locator_url(version, query_all, &locator, page_size);
    page_response(version, &row_type, &rows, 0, page_size, Some(next))
}

async fn query(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path(version): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    run_query(&st, who, &version, raw, false).await
}

async fn query_all(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path(version): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    run_query(&st, who, &version, raw, true).await
}

/// GET /query/{locator}-{offset}: the next page of a snapshot.
async fn query_more(State(st): St, Path((version, locator)): Path<(String, String)>) -> Response {
    let invalid = || bad_request("INVALID_QUERY_LOCATOR", "invalid query locator");
    let Some((id, offset)) = locator.rsplit_once('-') else {
        return invalid();
    };
    let Ok(offset) = offset.parse::<usize>() else {
        return invalid();
    };
    let (rows, query_all, row_type) = match st.org().cursor(id) {
        Some(c) => (c.rows.clone(), c.query_all, c.row_type.clone()),
        None => return invalid(),
    };
    if offset >= rows.len() {
        return invalid();
    }
    let page_size = st.page_size;
    let next_offset = offset.saturating_add(page_size);
    let next =
        (next_offset < rows.len()).then(|| locator_url(&version, query_all, id, next_offset));
    page_response(&version, &row_type, &rows, offset, page_size, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_labels() {
        assert_eq!(parse_version("v62.0"), Some(62));
        assert_eq!(parse_version("v31.0"), Some(31));
        assert_eq!(parse_version("v66.0"), Some(66));
        assert_eq!(parse_version("v30.0"), None);
        assert_eq!(parse_version("v67.0"), None);
        assert_eq!(parse_version("v62"), None);
        assert_eq!(parse_version("v62.1"), None);
        assert_eq!(parse_version("62.0"), None);
        assert_eq!(classify_version("v30.0"), ApiVersion::Retired);
        assert_eq!(classify_version("v21.0"), ApiVersion::Retired);
        assert_eq!(classify_version("v7.0"), ApiVersion::Retired);
        assert_eq!(classify_version("v6.0"), ApiVersion::Unknown);
        assert_eq!(classify_version("v07.0"), ApiVersion::Unknown);
        assert_eq!(classify_version("v100.0"), ApiVersion::Unknown);
        assert_eq!(classify_version("latest"), ApiVersion::Unknown);
        assert_eq!(classify_version("v46.0"), ApiVersion::Served(46));
        assert!(is_collection_write(
            &Method::PATCH,
            "v62.0/composite/sobjects/Case/ExternalID__c"
        ));
        assert!(is_collection_write(
            &Method::DELETE,
            "v62.0/composite/sobjects"
        ));
        assert!(is_collection_write(
            &Method::DELETE,
            "v62.0/composite/sobjects/"
        ));
        assert!(!is_collection_write(
            &Method::POST,
            "v62.0/composite/sobjects"
        ));
        assert!(!is_collection_write(
            &Method::PATCH,
            "v62.0/sobjects/Case/ExternalID__c/x"
        ));
        assert_eq!(release_label(31), "Summer '14");
        assert_eq!(release_label(62), "Winter '25");
        assert_eq!(release_label(63), "Spring '25");
        assert_eq!(release_label(66), "Spring '26");
    }
}
