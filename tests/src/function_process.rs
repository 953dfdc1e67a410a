//! A function process: spawned against a test's or the bench's Runtime API, its logs drained
//! (they are part of the cost, so they go somewhere that reads them, as CloudWatch's agent
//! does) and kept for the tests that read them, its CPU and memory read from /proc.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

pub struct Function {
    child: Child,
    log_bytes: Arc<AtomicU64>,
    /// Standard output, where Lambda collects log lines (kept only with `keep_logs`).
    logs: Arc<Mutex<Vec<u8>>>,
    drains: Vec<JoinHandle<()>>,
}

/// CPU the process has used: per-thread scheduler time (ns, precise) and utime + stime (clock
/// ticks, coarse), the cross-check.
#[derive(Debug, Clone, Copy)]
pub struct CpuSample {
    pub schedstat_ns: u64,
    pub ticks: u64,
}

impl Function {
    /// Starts `binary` with exactly `env` (nothing inherited but PATH).
    pub fn spawn(binary: &Path, env: &[(String, String)]) -> Function {
        Self::start(binary, env, false)
    }

    /// [`spawn`](Self::spawn), keeping what the function writes to standard output.
    pub fn spawn_keeping_logs(binary: &Path, env: &[(String, String)]) -> Function {
        Self::start(binary, env, true)
    }

    fn start(binary: &Path, env: &[(String, String)], keep_logs: bool) -> Function {
        let mut command = Command::new(binary);
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let log_bytes = Arc::new(AtomicU64::new(0));
        let logs = Arc::new(Mutex::new(Vec::new()));
        let mut drains = Vec::new();
        let stdout = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let stderr = child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        for (mut stream, is_stdout) in [(stdout, true), (stderr, false)]
            .into_iter()
            .filter_map(|(stream, is_stdout)| Some((stream?, is_stdout)))
        {
            let counter = log_bytes.clone();
            let kept = (keep_logs && is_stdout).then(|| logs.clone());
            drains.push(thread::spawn(move || {
                let mut buffer = [0u8; 64 * 1024];
                while let Ok(n) = stream.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    counter.fetch_add(n as u64, Ordering::Relaxed);
                    if let Some(kept) = &kept {
                        kept.lock()
                            .map(|mut logs| logs.extend_from_slice(&buffer[..n]))
                            .ok();
                    }
                }
            }));
        }
        Function {
            child,
            log_bytes,
            logs,
            drains,
        }
    }

    /// What the function wrote to standard output so far (with `spawn_keeping_logs`).
    pub fn logs(&self) -> String {
        self.logs
            .lock()
            .map(|logs| String::from_utf8_lossy(&logs).into_owned())
            .unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Bytes written to stdout and stderr so far.
    pub fn log_bytes(&self) -> u64 {
        self.log_bytes.load(Ordering::Relaxed)
    }

    /// Whether the process is still running (a crash must not look like a slow answer).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    pub fn cpu(&self) -> CpuSample {
        let pid = self.pid();
        let mut schedstat_ns = 0;
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc/<pid>/task");
        for task in tasks.flatten() {
            // A thread may end between the listing and the read; it then adds nothing.
            if let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) {
                schedstat_ns += text
                    .split_whitespace()
                    .next()
                    .and_then(|ns| ns.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
        // The command name may hold spaces; the fields after its closing parenthesis do not.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        // utime and stime are fields 14 and 15 of stat, 12 and 13 after the parenthesis.
        let field = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        CpuSample {
            schedstat_ns,
            ticks: field(11) + field(12),
        }
    }

    /// VmHWM, the peak resident set, in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        status_field(self.pid(), "VmHWM:")
    }

    /// Threads the process has now.
    pub fn threads(&self) -> u64 {
        status_field(self.pid(), "Threads:")
    }

    /// SIGTERM first, as Lambda sends at shutdown (and so that a profiler wrapping the binary
    /// writes its data), then SIGKILL if the process is still there.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        for _ in 0..100 {
            if self.exited().is_some() {
                break;
            }
            thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        for drain in self.drains.drain(..) {
            let _ = drain.join();
        }
    }
}

fn status_field(pid: u32, name: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// Clock ticks per second, for utime and stime.
pub fn clock_ticks_per_second() -> u64 {
    // getconf spares a libc dependency; Linux fixes USER_HZ at 100 anyway.
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}
