//! Compressed bodies, as Salesforce handles them: a request body may come gzip- (or
//! deflate-) compressed with `Content-Encoding`, and an answer larger than about 1 KB is
//! gzipped when the request's `Accept-Encoding` allows it.

use std::io::{Read, Write};

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use flate2::Compression;
use flate2::read::{GzDecoder, ZlibDecoder};
use flate2::write::GzEncoder;

/// Answers up to this size go out as they are: compressing them saves nothing worth a CPU.
pub const MIN_COMPRESSED_BODY: usize = 1024;

/// How a request body is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Deflate,
}

/// The request's `Content-Encoding`: Ok(coding), or Err(the value) for one this org cannot
/// decode.
pub fn request_coding(headers: &HeaderMap) -> Result<Coding, String> {
    let Some(value) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(Coding::Identity);
    };
    let text = value.to_str().unwrap_or("").trim().to_ascii_lowercase();
    match text.as_str() {
        "" | "identity" => Ok(Coding::Identity),
        "gzip" | "x-gzip" => Ok(Coding::Gzip),
        "deflate" => Ok(Coding::Deflate),
        _ => Err(text),
    }
}

/// The inflated body, at most `limit` bytes; Err(reason) when it does not inflate or grows
/// past the limit. An empty body stays empty.
pub fn inflate(coding: Coding, body: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    if body.is_empty() || coding == Coding::Identity {
        return Ok(body.to_vec());
    }
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    let cap = (limit as u64).saturating_add(1);
    let read = match coding {
        Coding::Gzip => GzDecoder::new(body).take(cap).read_to_end(&mut out),
        Coding::Deflate => ZlibDecoder::new(body).take(cap).read_to_end(&mut out),
        Coding::Identity => Ok(body.len()),
    };
    match read {
        Err(e) => Err(e.to_string()),
        Ok(_) if out.len() > limit => Err(format!("it inflates past {limit} bytes")),
        Ok(_) => Ok(out),
    }
}

/// Replaces a compressed request body by its inflated bytes (the request then reads as if
/// it had been sent plain). Err(reason) for a body that cannot be read or inflated; the
/// reason is for the caller's 400.
pub async fn inflate_request(
    req: Request,
    coding: Coding,
    limit: usize,
) -> Result<Request, String> {
    if coding == Coding::Identity {
        return Ok(req);
    }
    let (mut parts, body) = req.into_parts();
    let compressed = to_bytes(body, limit)
        .await
        .map_err(|e| format!("the body cannot be read: {e}"))?;
    let plain = inflate(coding, &compressed, limit)?;
    parts.headers.remove(header::CONTENT_ENCODING);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(plain.len()));
    Ok(Request::from_parts(parts, Body::from(plain)))
}

/// Whether `Accept-Encoding` lets the answer be gzipped: `gzip`, `x-gzip` or `*`, with a
/// quality above zero.
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .filter_map(|q| q.trim().parse::<f32>().ok())
                .next()
                .unwrap_or(1.0);
            matches!(coding.as_str(), "gzip" | "x-gzip" | "*") && quality > 0.0
        })
}

/// Gzips an answer whose body is larger than [`MIN_COMPRESSED_BODY`] and not encoded
/// already; every header but the length stays (Sforce-Limit-Info included).
pub async fn gzip_response(response: Response) -> Response {
    let status = response.status();
    let bodiless = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    if bodiless || response.headers().contains_key(header::CONTENT_ENCODING) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(_) => return Response::from_parts(parts, Body::empty()),
    };
    if bytes.len() <= MIN_COMPRESSED_BODY {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::fast());
    let compressed = match encoder.write_all(&bytes).and_then(|()| encoder.finish()) {
        Ok(compressed) => compressed,
        Err(_) => return Response::from_parts(parts, Body::from(bytes)),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    parts
        .headers
        .append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    Response::from_parts(parts, Body::from(compressed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).expect("gzip");
        encoder.finish().expect("gzip")
    }

    #[test]
    fn accept_encoding() {
        assert!(accepts_gzip(&headers(&[("accept-encoding", "gzip")])));
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "br, GZIP;q=0.5"
        )])));
        assert!(accepts_gzip(&headers(&[("accept-encoding", "*")])));
        assert!(accepts_gzip(&headers(&[
            ("accept-encoding", "br"),
            ("accept-encoding", "x-gzip")
        ])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "gzip;q=0")])));
        assert!(!accepts_gzip(&headers(&[(
            "accept-encoding",
            "deflate, br"
        )])));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn request_codings() {
        assert_eq!(request_coding(&HeaderMap::new()), Ok(Coding::Identity));
        let gz = headers(&[("content-encoding", " GZip ")]);
        assert_eq!(request_coding(&gz), Ok(Coding::Gzip));
        let deflate = headers(&[("content-encoding", "deflate")]);
        assert_eq!(request_coding(&deflate), Ok(Coding::Deflate));
        let br = headers(&[("content-encoding", "br")]);
        assert_eq!(request_coding(&br), Err("br".to_string()));
    }

    #[test]
    fn inflates_and_refuses() {
        let text = br#"{"allOrNone":false,"records":[]}"#;
        assert_eq!(inflate(Coding::Gzip, &gzip(text), 1024), Ok(text.to_vec()));
        assert_eq!(inflate(Coding::Gzip, b"", 1024), Ok(Vec::new()));
        assert!(inflate(Coding::Gzip, text, 1024).is_err());
        // A body that inflates past the limit is refused, not buffered.
        let big = vec![b' '; 4096];
        assert!(inflate(Coding::Gzip, &gzip(&big), 1024).is_err());
        assert_eq!(inflate(Coding::Gzip, &gzip(&big), 4096), Ok(big));
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), Compression::default());
        zlib.write_all(text).expect("zlib");
        let zlib = zlib.finish().expect("zlib");
        assert_eq!(inflate(Coding::Deflate, &zlib, 1024), Ok(text.to_vec()));
    }
}
