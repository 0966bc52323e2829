//! The one HTTP client both stores use: blocking, with timeouts, and with bounded retries
//! for throttling and transient failures.

use std::time::Duration;

use zeroize::Zeroizing;

use super::SyncError;

/// Attempts per request, the first included. With the backoff below a request gives up
/// after about six seconds of waiting, long enough to ride out a throttling burst and short
/// enough that a deploy does not hang.
const ATTEMPTS: u32 = 5;
const BACKOFF_START: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(3);

/// A store's reply. The body can hold secret values, so it is wiped when dropped.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Zeroizing<Vec<u8>>,
    retry_after: Option<Duration>,
    /// The reply's headers (names lowercase). Stores put no secrets in them.
    headers: Vec<(String, String)>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

impl Reply {
    /// The body as text, for error messages (callers redact it).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).trim().to_owned()
    }

    /// A header's value (`name` in lowercase).
    #[cfg_attr(not(any(feature = "github", feature = "azure")), allow(dead_code))]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One request, described so it can be re-sent (and re-signed) on retry.
pub(crate) struct Request<'a> {
    pub method: &'static str,
    pub url: &'a str,
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
}

/// Each attempt's headers are a fresh copy that can hold a bearer token or a signature:
/// wiped when the attempt is done, as the callers wipe their own.
impl Drop for Request<'_> {
    fn drop(&mut self) {
        for (_, value) in &mut self.headers {
            zeroize::Zeroize::zeroize(value);
        }
    }
}

pub(crate) struct Http {
    agent: ureq::Agent,
    store: &'static str,
}

impl Http {
    pub fn new(store: &'static str) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(30)))
            // A redirect would resend the token to wherever it points.
            .max_redirects(0)
            .user_agent(concat!("vault/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent: ureq::Agent::new_with_config(config),
            store,
        }
    }

    /// Sends one request whose parts do not change between attempts. `headers` may hold a
    /// bearer token: each attempt's copy is wiped (see [`Request`]'s `Drop`), and so is
    /// `headers` itself once the reply is in.
    #[cfg_attr(
        not(any(
            feature = "kv",
            feature = "github",
            feature = "cloudflare",
            feature = "azure"
        )),
        allow(dead_code)
    )]
    pub fn send_wiping(
        &self,
        method: &'static str,
        url: &str,
        mut headers: Vec<(String, String)>,
        body: &[u8],
        retryable: impl Fn(&Reply) -> bool,
    ) -> Result<Reply, SyncError> {
        let reply = self.send(
            || {
                Ok(Request {
                    method,
                    url,
                    headers: headers.clone(),
                    body,
                })
            },
            retryable,
        );
        for (_, value) in &mut headers {
            zeroize::Zeroize::zeroize(value);
        }
        reply
    }

    /// Sends the request built by `build` (called again for each attempt, so signatures
    /// and timestamps are fresh), retrying while `retryable` says the reply is transient.
    pub fn send<'a>(
        &self,
        mut build: impl FnMut() -> Result<Request<'a>, SyncError>,
        retryable: impl Fn(&Reply) -> bool,
    ) -> Result<Reply, SyncError> {
        let mut delay = BACKOFF_START;
        let mut attempt = 1;
        loop {
            let request = build()?;
            let reply = self.once(&request)?;
            if !(reply.status == 429 || reply.status >= 500 || retryable(&reply)) {
                return Ok(reply);
            }
            if attempt == ATTEMPTS {
                return Err(SyncError::Throttled {
                    store: self.store,
                    attempts: ATTEMPTS,
                    detail: format!("HTTP {}", reply.status),
                });
            }
            std::thread::sleep(reply.retry_after.unwrap_or(delay).min(BACKOFF_MAX));
            delay = (delay * 2).min(BACKOFF_MAX);
            attempt += 1;
        }
    }

    fn once(&self, request: &Request<'_>) -> Result<Reply, SyncError> {
        let mut builder = ureq::http::Request::builder()
            .method(request.method)
            .uri(request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let result = if request.body.is_empty() {
            builder
                .body(())
                .map_err(|_| Self::invalid_url(request.url))
                .and_then(|r| self.run(request.url, r))
        } else {
            builder
                .body(request.body)
                .map_err(|_| Self::invalid_url(request.url))
                .and_then(|r| self.run(request.url, r))
        };
        let mut response = result?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let headers = response
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .map_err(|e| self.unreachable(request.url, &e))?;
        Ok(Reply {
            status,
            body: Zeroizing::new(body),
            retry_after,
            headers,
        })
    }

    fn run(
        &self,
        url: &str,
        request: ureq::http::Request<impl ureq::AsSendBody>,
    ) -> Result<ureq::http::Response<ureq::Body>, SyncError> {
        self.agent
            .run(request)
            .map_err(|e| self.unreachable(url, &e))
    }

    fn unreachable(&self, url: &str, error: &ureq::Error) -> SyncError {
        SyncError::Unreachable {
            store: self.store,
            endpoint: origin(url).to_owned(),
            detail: error.to_string(),
        }
    }

    fn invalid_url(url: &str) -> SyncError {
        SyncError::InvalidArgument {
            what: "address",
            value: origin(url).to_owned(),
            reason: "not a valid URL (expected http://host:port or https://host)",
        }
    }
}

/// Serializes a request body that holds secret values into a buffer that is wiped on drop.
/// The buffer is sized up front so growing it does not leave unwiped copies behind.
pub(crate) fn json_body(value: &impl serde::Serialize) -> Zeroizing<Vec<u8>> {
    let mut counter = Counter(0);
    let _ = value.serialize(&mut serde_json::ser::Serializer::new(&mut counter));
    let mut body = Zeroizing::new(Vec::with_capacity(counter.0));
    // Serializing plain structs of strings and numbers into memory cannot fail.
    let _ = serde_json::to_writer(&mut *body, value);
    body
}

/// Counts bytes written, to size a buffer without holding a copy.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `scheme://host:port` of a URL: enough to say where we tried, without paths or queries.
pub(crate) fn origin(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    &url[..end]
}

/// `url` is https, or http to this machine (a local test server). Every API base and
/// authority a store takes from a flag or the environment goes through this: over plain
/// http to another machine the token (and every value pushed) would cross the network in
/// clear text, readable and replaceable by anyone on the path.
#[cfg_attr(
    not(any(feature = "github", feature = "cloudflare", feature = "azure")),
    allow(dead_code)
)]
pub(crate) fn check_https(url: &str, what: &'static str) -> Result<(), SyncError> {
    let host = host_of(url);
    let loopback = url.starts_with("http://")
        && (host == "127.0.0.1" || host == "localhost" || host == "[::1]");
    if url.starts_with("https://") && !host.is_empty() || loopback {
        return Ok(());
    }
    Err(SyncError::InvalidArgument {
        what,
        value: url.to_owned(),
        reason: "expected https://HOST; plain http:// is only for a test server on this machine (127.0.0.1, [::1], localhost)",
    })
}

/// The host of a URL, lowercase, without port or credentials.
#[cfg_attr(
    not(any(feature = "github", feature = "cloudflare", feature = "azure")),
    allow(dead_code)
)]
pub(crate) fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or("");
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.split(':').next().unwrap_or("")
    };
    host.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_drops_the_path() {
        assert_eq!(
            origin("http://127.0.0.1:8200/v1/secret/data/x"),
            "http://127.0.0.1:8200"
        );
        assert_eq!(
            origin("https://ssm.eu-west-1.amazonaws.com"),
            "https://ssm.eu-west-1.amazonaws.com"
        );
    }
}
