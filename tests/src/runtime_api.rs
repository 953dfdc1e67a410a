//! A minimal Lambda Runtime API on 127.0.0.1, enough for `lambda_runtime`: `GET
//! /2018-06-01/runtime/invocation/next` hands out the next event, `POST …/invocation/{id}/response`
//! and `…/error` and `POST …/init/error` are passed to the bench. Plain std sockets, one thread
//! per connection, HTTP/1.1 keep-alive: the server's CPU is not what is measured, only the
//! child's, but it must answer promptly so that the child never waits on it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const FUNCTION_ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:function:bench";
pub const TRACE_ID: &str =
    "Root=1-6650e0a1-0b1c2d3e4f5a6b7c8d9e0f1a;Parent=53995c3f42cd8ad8;Sampled=0";

/// One event for the function: its request id, JSON body and how long it may run (the
/// `Lambda-Runtime-Deadline-Ms` it is handed is that much after it is handed out).
pub struct Invocation {
    pub request_id: String,
    pub body: Arc<Vec<u8>>,
    pub time_left: Duration,
}

impl Invocation {
    /// An event with Lambda's longest timeout, which no test or bench reaches.
    pub fn new(request_id: impl Into<String>, body: Arc<Vec<u8>>) -> Self {
        Invocation {
            request_id: request_id.into(),
            body,
            time_left: Duration::from_secs(900),
        }
    }

    pub fn with_time_left(self, time_left: Duration) -> Self {
        Invocation { time_left, ..self }
    }
}

/// The variables Lambda sets for every function (`lambda_runtime` refuses to start without
/// them), pointed at the Runtime API at `addr`.
pub fn lambda_env(addr: SocketAddr, function_name: &str) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_RUNTIME_API", addr.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", function_name.to_string()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024".to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{function_name}"),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/12/02/[$LATEST]test".to_string(),
        ),
        ("AWS_REGION", "eu-west-1".to_string()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect()
}

/// What the function posted back.
#[derive(Debug)]
pub enum Answer {
    Response { request_id: String, body: Vec<u8> },
    Error { request_id: String, body: Vec<u8> },
    InitError { body: Vec<u8> },
}

pub struct RuntimeApi {
    pub addr: SocketAddr,
    events: Option<Sender<Invocation>>,
    answers: Receiver<Answer>,
    polls: Receiver<Instant>,
    stopping: Arc<AtomicBool>,
}

impl RuntimeApi {
    pub fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the Runtime API");
        let addr = listener.local_addr().expect("the Runtime API's address");
        let (events, next) = channel::<Invocation>();
        let (answer, answers) = channel::<Answer>();
        let (poll, polls) = channel::<Instant>();
        let next = Arc::new(Mutex::new(next));
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = stopping.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (next, answer, poll) = (next.clone(), answer.clone(), poll.clone());
                thread::spawn(move || serve(stream, &next, &answer, &poll));
            }
        });
        RuntimeApi {
            addr,
            events: Some(events),
            answers,
            polls,
            stopping,
        }
    }

    /// Queues an event; the function's next poll receives it.
    pub fn send(&self, invocation: Invocation) {
        self.events
            .as_ref()
            .expect("the Runtime API is running")
            .send(invocation)
            .expect("the Runtime API's connection threads are gone");
    }

    /// When the function first asked for an event (its init done), or `None` after `timeout`.
    pub fn first_poll(&self, timeout: Duration) -> Option<Instant> {
        self.polls.recv_timeout(timeout).ok()
    }

    /// The function's next answer, or `None` after `timeout`.
    pub fn answer(&self, timeout: Duration) -> Option<Answer> {
        self.answers.recv_timeout(timeout).ok()
    }
}

impl Drop for RuntimeApi {
    /// Releases a poll still waiting for an event, and the accept loop.
    fn drop(&mut self) {
        self.events = None;
        self.stopping.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr).map(|s| s.shutdown(Shutdown::Both));
    }
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

fn serve(
    stream: TcpStream,
    next: &Mutex<Receiver<Invocation>>,
    answers: &Sender<Answer>,
    polls: &Sender<Instant>,
) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        let reply = match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/2018-06-01/runtime/invocation/next") => {
                let _ = polls.send(Instant::now());
                // Whoever polls waits for the bench's next event; none comes once it is done.
                let invocation = next.lock().ok().and_then(|receiver| receiver.recv().ok());
                match invocation {
                    Some(invocation) => event_response(&invocation),
                    None => return,
                }
            }
            ("POST", "/2018-06-01/runtime/init/error") => {
                let _ = answers.send(Answer::InitError { body: request.body });
                accepted()
            }
            ("POST", path) => match path
                .strip_prefix("/2018-06-01/runtime/invocation/")
                .and_then(|rest| rest.rsplit_once('/'))
            {
                Some((id, "response")) => {
                    let _ = answers.send(Answer::Response {
                        request_id: id.to_string(),
                        body: request.body,
                    });
                    accepted()
                }
                Some((id, "error")) => {
                    let _ = answers.send(Answer::Error {
                        request_id: id.to_string(),
                        body: request.body,
                    });
                    accepted()
                }
                _ => not_found(),
            },
            _ => not_found(),
        };
        if writer.write_all(&reply).is_err() {
            return;
        }
    }
}

fn event_response(invocation: &Invocation) -> Vec<u8> {
    let deadline = (SystemTime::now() + invocation.time_left)
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let mut reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
         Lambda-Runtime-Aws-Request-Id: {}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\n\
         Lambda-Runtime-Invoked-Function-Arn: {FUNCTION_ARN}\r\nLambda-Runtime-Trace-Id: {TRACE_ID}\r\n\
         Content-Length: {}\r\n\r\n",
        invocation.request_id,
        invocation.body.len()
    )
    .into_bytes();
    reply.extend_from_slice(&invocation.body);
    reply
}

fn accepted() -> Vec<u8> {
    b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n".to_vec()
}

fn not_found() -> Vec<u8> {
    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()
}

/// One request off a keep-alive connection; `None` when the client closes it or sends garbage.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut content_length = 0usize;
    let mut chunked = false;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = value.parse().ok()?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        }
    }
    let body = if chunked {
        read_chunked(reader)?
    } else {
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body).ok()?;
        body
    };
    Some(Request { method, path, body })
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok()?;
        let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).ok()?;
        if size == 0 {
            // The last chunk; no trailers are sent by the runtime client.
            return Some(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}
