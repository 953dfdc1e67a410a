//! The Lambda Runtime API client: `GET /invocation/next`, `POST /invocation/{id}/response` and
//! `…/error`, `POST /init/error`, over one kept-alive HTTP/1.1 connection with blocking reads.
//!
//! Blocking is the point. A function serves one event at a time, and between events it has
//! nothing else to do but wait for the next one: a blocking `read` is one system call where an
//! async client pays for the reactor (`epoll_wait` before and after every read and write), the
//! tower layers and a task wake-up on every exchange (README, Benchmarks > Cost per invocation).
//! Headers are parsed with `httparse`, the parser hyper uses; the buffers are kept across
//! invocations, so an exchange allocates nothing but the request id.

use std::io::{self, Read, Write};
use std::net::TcpStream;

const API_VERSION: &str = "2018-06-01";
/// Enough for the Runtime API's headers (a request id, a deadline, an ARN, a trace id, and the
/// client and identity contexts of mobile SDK invocations).
const MAX_HEADERS: usize = 32;
/// A synchronous invocation's payload is at most 6 MB; anything longer is not the Runtime API.
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;
const READ_CHUNK: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeApiError {
    #[error("AWS_LAMBDA_RUNTIME_API is not set: not running under a Lambda Runtime API")]
    NotConfigured,
    #[error("Runtime API connection: {0}")]
    Io(#[from] io::Error),
    #[error("Runtime API answered {status} to {request}")]
    Status { request: &'static str, status: u16 },
    #[error("Runtime API sent a malformed response: {0}")]
    Malformed(&'static str),
}

/// The next event: its request id and its JSON, borrowed from the client's buffer.
#[derive(Debug)]
pub struct Invocation<'a> {
    pub request_id: &'a str,
    pub event: &'a [u8],
}

/// What the Runtime API answered to a posted response or error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Accepted,
    /// A 4xx: this answer was refused (too large, an unknown request id); the next invocation
    /// can still be served.
    Refused(u16),
}

pub struct RuntimeApiClient {
    /// `host:port`.
    address: String,
    /// What precedes `/2018-06-01/…` in every path: empty in Lambda (`AWS_LAMBDA_RUNTIME_API`
    /// is `host:port`); emulators such as `cargo lambda watch` serve the API under a prefix
    /// (`127.0.0.1:9000/.rt`).
    base_path: String,
    /// The path of `GET …/invocation/next`, the same for every invocation.
    next_path: String,
    connection: Option<Connection>,
    /// The request being written: head and body, sent with one `write`.
    request: Vec<u8>,
    /// Bytes read from the connection; after a response, its body.
    received: Vec<u8>,
    body: Vec<u8>,
    request_id: String,
}

/// The kept-alive connection and the buffer it is read into: zeroed once per connection, where
/// reading straight into the spare room of `received` would zero it on every read (safe Rust
/// reads only into initialised bytes), a measured tenth of an invocation's instructions.
struct Connection {
    stream: TcpStream,
    chunk: Box<[u8]>,
}

impl Connection {
    fn open(address: &str) -> io::Result<Self> {
        let stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            chunk: vec![0; READ_CHUNK].into_boxed_slice(),
        })
    }
}

/// A response's status line and the headers the client reads.
struct Head {
    status: u16,
    body: BodyFraming,
    close: bool,
}

enum BodyFraming {
    Length(usize),
    Chunked,
}

impl RuntimeApiClient {
    pub fn from_env() -> Result<Self, RuntimeApiError> {
        std::env::var("AWS_LAMBDA_RUNTIME_API")
            .ok()
            .filter(|address| !address.is_empty())
            .map(Self::new)
            .ok_or(RuntimeApiError::NotConfigured)
    }

    /// `host:port`, optionally with an `http://` scheme and a base path, as
    /// `AWS_LAMBDA_RUNTIME_API` may give it.
    pub fn new(runtime_api: String) -> Self {
        let without_scheme = runtime_api.strip_prefix("http://").unwrap_or(&runtime_api);
        let (address, base_path) = match without_scheme.split_once('/') {
            Some((address, path)) => (address, format!("/{}", path.trim_matches('/'))),
            None => (without_scheme, String::new()),
        };
        let base_path = if base_path == "/" {
            String::new()
        } else {
            base_path
        };
        RuntimeApiClient {
            address: address.to_string(),
            next_path: format!("{base_path}/{API_VERSION}/runtime/invocation/next"),
            base_path,
            connection: None,
            request: Vec::with_capacity(READ_CHUNK),
            received: Vec::with_capacity(READ_CHUNK),
            body: Vec::with_capacity(READ_CHUNK),
            request_id: String::new(),
        }
    }

    /// Waits for the next event (Lambda freezes the process meanwhile).
    pub fn next_invocation(&mut self) -> Result<Invocation<'_>, RuntimeApiError> {
        let path = std::mem::take(&mut self.next_path);
        let status = self.exchange("GET", &path, None, &[]);
        self.next_path = path;
        let status = status?;
        if status != 200 {
            return Err(RuntimeApiError::Status {
                request: "invocation/next",
                status,
            });
        }
        if self.request_id.is_empty() {
            return Err(RuntimeApiError::Malformed(
                "an invocation without Lambda-Runtime-Aws-Request-Id",
            ));
        }
        Ok(Invocation {
            request_id: &self.request_id,
            event: &self.body,
        })
    }

    /// Posts the function's answer to invocation `request_id`.
    pub fn respond(
        &mut self,
        request_id: &str,
        answer: &[u8],
    ) -> Result<Delivery, RuntimeApiError> {
        let path = format!(
            "{}/{API_VERSION}/runtime/invocation/{request_id}/response",
            self.base_path
        );
        let status = self.exchange("POST", &path, None, answer)?;
        delivery("invocation response", status)
    }

    /// Reports that invocation `request_id` failed; Lambda hands the error to the caller (API
    /// Gateway answers 500; Secrets Manager records a failed rotation step).
    pub fn report_error(
        &mut self,
        request_id: &str,
        error_type: &str,
        message: &str,
    ) -> Result<Delivery, RuntimeApiError> {
        let path = format!(
            "{}/{API_VERSION}/runtime/invocation/{request_id}/error",
            self.base_path
        );
        let body = error_body(error_type, message);
        let status = self.exchange("POST", &path, Some(error_type), &body)?;
        delivery("invocation error", status)
    }

    /// Reports that the function could not start; Lambda then fails the pending invocation.
    pub fn report_init_error(
        &mut self,
        error_type: &str,
        message: &str,
    ) -> Result<Delivery, RuntimeApiError> {
        let path = format!("{}/{API_VERSION}/runtime/init/error", self.base_path);
        let body = error_body(error_type, message);
        let status = self.exchange("POST", &path, Some(error_type), &body)?;
        delivery("init error", status)
    }

    /// Sends one request and reads its response into `self.body` (and the request id, when the
    /// response names one). A kept-alive connection the server has closed meanwhile is noticed
    /// before any answer arrives: the request is then sent once more on a new connection.
    fn exchange(
        &mut self,
        method: &str,
        path: &str,
        error_type: Option<&str>,
        body: &[u8],
    ) -> Result<u16, RuntimeApiError> {
        self.write_request(method, path, error_type, body);
        let reused = self.connection.is_some();
        match self.send_and_receive() {
            Err(RuntimeApiError::Io(error)) if reused && is_stale_connection(&error) => {
                self.connection = None;
                self.send_and_receive()
            }
            outcome => outcome,
        }
        .inspect_err(|_| self.connection = None)
    }

    fn write_request(&mut self, method: &str, path: &str, error_type: Option<&str>, body: &[u8]) {
        let request = &mut self.request;
        request.clear();
        // Writing into a Vec cannot fail.
        let _ = write!(
            request,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: token-service\r\n",
            self.address
        );
        if let Some(error_type) = error_type {
            let _ = write!(
                request,
                "Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: {}\r\n",
                header_safe(error_type)
            );
        }
        if method == "POST" {
            let _ = write!(request, "Content-Length: {}\r\n", body.len());
        }
        request.extend_from_slice(b"\r\n");
        request.extend_from_slice(body);
    }

    fn send_and_receive(&mut self) -> Result<u16, RuntimeApiError> {
        if self.connection.is_none() {
            self.connection = Some(Connection::open(&self.address)?);
        }
        let Some(connection) = self.connection.as_mut() else {
            return Err(RuntimeApiError::Malformed("no connection"));
        };
        connection.stream.write_all(&self.request)?;
        self.received.clear();
        self.body.clear();
        self.request_id.clear();
        let (head_length, head) = read_head(connection, &mut self.received, &mut self.request_id)?;
        match head.body {
            BodyFraming::Length(length) => {
                let end = head_length + length;
                read_to(connection, &mut self.received, end)?;
                if self.received.len() != end {
                    return Err(RuntimeApiError::Malformed("bytes after the response"));
                }
                self.body
                    .extend_from_slice(&self.received[head_length..end]);
            }
            BodyFraming::Chunked => {
                read_chunked(connection, &mut self.received, head_length, &mut self.body)?;
            }
        }
        if head.close {
            self.connection = None;
        }
        Ok(head.status)
    }
}

/// Reads until the response's head is complete; returns its length and what it says.
fn read_head(
    connection: &mut Connection,
    received: &mut Vec<u8>,
    request_id: &mut String,
) -> Result<(usize, Head), RuntimeApiError> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(received) {
            Ok(httparse::Status::Complete(head_length)) => {
                let head = read_headers(&response, request_id)?;
                return Ok((head_length, head));
            }
            Ok(httparse::Status::Partial) => {
                if received.len() > MAX_RESPONSE_BYTES {
                    return Err(RuntimeApiError::Malformed("a response head without end"));
                }
                read_more(connection, received, received.is_empty())?;
            }
            Err(_) => return Err(RuntimeApiError::Malformed("an unreadable response head")),
        }
    }
}

fn read_headers(
    response: &httparse::Response<'_, '_>,
    request_id: &mut String,
) -> Result<Head, RuntimeApiError> {
    let status = response
        .code
        .ok_or(RuntimeApiError::Malformed("no status"))?;
    let mut length = None;
    let mut chunked = false;
    let mut close = response.version == Some(0);
    for header in response.headers.iter() {
        let name = header.name;
        let value = std::str::from_utf8(header.value)
            .map_err(|_| RuntimeApiError::Malformed("a header that is not text"))?
            .trim();
        if name.eq_ignore_ascii_case("content-length") {
            let parsed = value
                .parse::<usize>()
                .map_err(|_| RuntimeApiError::Malformed("an unreadable Content-Length"))?;
            if parsed > MAX_RESPONSE_BYTES {
                return Err(RuntimeApiError::Malformed("a body over 8 MiB"));
            }
            length = Some(parsed);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            close = value
                .split(',')
                .any(|option| option.trim().eq_ignore_ascii_case("close"));
        } else if name.eq_ignore_ascii_case("lambda-runtime-aws-request-id") {
            request_id.push_str(value);
        }
    }
    let body = if chunked {
        BodyFraming::Chunked
    } else {
        // No length and no chunking: HTTP/1.1 would read to the end of the connection; the
        // Runtime API always sends one of the two, and an empty body is the safe reading of
        // the statuses that carry none (202 to a posted response).
        BodyFraming::Length(length.unwrap_or(0))
    };
    Ok(Head {
        status,
        body,
        close,
    })
}

/// Decodes a chunked body that starts at `start` of `received` into `body`.
fn read_chunked(
    connection: &mut Connection,
    received: &mut Vec<u8>,
    start: usize,
    body: &mut Vec<u8>,
) -> Result<(), RuntimeApiError> {
    let mut at = start;
    loop {
        let (size_length, size) = loop {
            match httparse::parse_chunk_size(&received[at..]) {
                Ok(httparse::Status::Complete(parsed)) => break parsed,
                Ok(httparse::Status::Partial) => read_more(connection, received, false)?,
                Err(_) => return Err(RuntimeApiError::Malformed("an unreadable chunk size")),
            }
        };
        let size = usize::try_from(size)
            .ok()
            .filter(|size| body.len() + size <= MAX_RESPONSE_BYTES)
            .ok_or(RuntimeApiError::Malformed("a body over 8 MiB"))?;
        at += size_length;
        // The chunk and its CRLF; the last chunk (size 0) ends with an empty trailer line.
        read_to(connection, received, at + size + 2)?;
        body.extend_from_slice(&received[at..at + size]);
        if &received[at + size..at + size + 2] != b"\r\n" {
            return Err(RuntimeApiError::Malformed("a chunk without its CRLF"));
        }
        at += size + 2;
        if size == 0 {
            return if received.len() == at {
                Ok(())
            } else {
                Err(RuntimeApiError::Malformed(
                    "trailers or bytes after the body",
                ))
            };
        }
    }
}

fn read_to(
    connection: &mut Connection,
    received: &mut Vec<u8>,
    length: usize,
) -> Result<(), RuntimeApiError> {
    while received.len() < length {
        read_more(connection, received, false)?;
    }
    Ok(())
}

/// Appends what the connection has (blocking until something arrives). The end of the
/// connection before any byte of a response is `UnexpectedEof` with `first` set, the sign of a
/// kept-alive connection the server closed; anywhere else it is a truncated response.
fn read_more(
    connection: &mut Connection,
    received: &mut Vec<u8>,
    first: bool,
) -> Result<(), RuntimeApiError> {
    let read = loop {
        match connection.stream.read(&mut connection.chunk) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            other => break other,
        }
    };
    match read {
        Ok(0) if first => Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
        Ok(0) => Err(RuntimeApiError::Malformed(
            "the connection ended mid-response",
        )),
        Ok(read) => {
            received.extend_from_slice(&connection.chunk[..read]);
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// A kept-alive connection that ended before the request got any answer: resending is safe,
/// since the server read nothing of it or dropped it unanswered.
fn is_stale_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

fn delivery(request: &'static str, status: u16) -> Result<Delivery, RuntimeApiError> {
    match status {
        200..=299 => Ok(Delivery::Accepted),
        400..=499 => Ok(Delivery::Refused(status)),
        // 500: "Container error. Non-recoverable state. Runtime should exit promptly."
        _ => Err(RuntimeApiError::Status { request, status }),
    }
}

/// An error type as a header value: letters, digits, `.` and `_` only (ours are Rust type names;
/// nothing else may end the header early).
fn header_safe(error_type: &str) -> String {
    error_type
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The error document Lambda expects: `{"errorType", "errorMessage"}`.
fn error_body(error_type: &str, message: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "errorType": error_type,
        "errorMessage": message,
    }))
    .unwrap_or_default()
}
