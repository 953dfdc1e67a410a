#!/usr/bin/env python3
"""Cold start of the authorizer: process start to first answered event.

Serves the Lambda Runtime API on 127.0.0.1 (one invocation: the HTTP API 2.0 fixture with a
real RS256 access token), starts the authorizer binary with its keys in a local key file, and
measures from just before the process is spawned to the moment its response arrives. Repeats,
then prints min / median / p90 and checks that every answer allowed the request.

Usage (from the repository root; the venv has `cryptography`, which moto depends on):
    cargo build --profile bench -p authorizer --features local   # it runs on a SQLite store
    .tools/venv/bin/python functions/authorizer/scripts/cold_start.py target/release/authorizer --runs 20
"""

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "shared" / "tests" / "fixtures" / "authorizer-http-api-v2.json"
ISSUER = "http://127.0.0.1:9000"
AUDIENCE = "am-api"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def key_file_and_token(directory: Path):
    """A key set with one current RS256 key, and an access token it signed (as the token
    endpoint would: typ at+jwt, kid, RFC 9068 claims)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = "k-coldstart0000"
    now = int(time.time())
    document = {"keys": [{"kid": kid, "alg": "RS256", "state": "current",
                          "private_key_pem": pem, "created_at": now}]}
    path = directory / "keyset.json"
    path.write_text(json.dumps(document))
    header = b64(json.dumps({"alg": "RS256", "typ": "at+jwt", "kid": kid}).encode())
    claims = {"iss": ISSUER, "sub": "cold-start-client", "aud": AUDIENCE, "iat": now,
              "nbf": now, "exp": now + 3600, "jti": "cold-start-jti",
              "client_id": "cold-start-client", "access_level": "labelpartner",
              "labelpartner": "lp-1", "scope": "accounts:read"}
    payload = b64(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return path, f"{header}.{payload}.{b64(signature)}"


class RuntimeApi(BaseHTTPRequestHandler):
    """Hands out one event; records when (and what) the function answers."""

    event = b""
    answered = None  # (monotonic ns, path, body)
    done = threading.Event()
    stop = threading.Event()
    served = False

    def log_message(self, *args):
        pass

    def do_GET(self):
        if not self.path.endswith("/runtime/invocation/next"):
            self.send_error(404)
            return
        if RuntimeApi.served:
            # The second poll: the function is warm and waiting; hold it until we stop it.
            RuntimeApi.stop.wait(30)
            self.close_connection = True
            return
        RuntimeApi.served = True
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "cold-start-request")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                         "arn:aws:lambda:eu-west-1:123456789012:function:authorizer")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(RuntimeApi.event)))
        self.end_headers()
        self.wfile.write(RuntimeApi.event)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if RuntimeApi.answered is None:
            RuntimeApi.answered = (time.monotonic_ns(), self.path, body)
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        RuntimeApi.done.set()


def one_run(binary: str, env: dict, event: bytes) -> tuple:
    RuntimeApi.event = event
    RuntimeApi.answered = None
    RuntimeApi.served = False
    RuntimeApi.done = threading.Event()
    RuntimeApi.stop = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}")
    start = time.monotonic_ns()
    process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        if not RuntimeApi.done.wait(30):
            raise SystemExit("the authorizer did not answer within 30 s")
        answered_at, path, body = RuntimeApi.answered
    finally:
        RuntimeApi.stop.set()
        process.terminate()
        process.wait(10)
        server.shutdown()
        server.server_close()
    return (answered_at - start) / 1e6, path, body


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        key_file, token = key_file_and_token(Path(tmp))
        event = FIXTURE.read_text().replace("{{TOKEN}}", token).encode()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "AWS_LAMBDA_FUNCTION_NAME": "authorizer",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_STREAM_NAME": "cold-start",
            "AWS_LAMBDA_LOG_GROUP_NAME": "cold-start",
            "KEY_SOURCE": "file",
            "KEY_FILE": str(key_file),
            "STORE": "sqlite",
            "SQLITE_PATH": str(Path(tmp) / "unused.sqlite"),
            "TOKEN_ISSUER": ISSUER,
            "TOKEN_AUDIENCE": AUDIENCE,
        }
        times = []
        for _ in range(args.runs):
            elapsed, path, body = one_run(args.binary, env, event)
            answer = json.loads(body)
            if not path.endswith("/response") or answer.get("isAuthorized") is not True:
                raise SystemExit(f"unexpected answer on {path}: {body!r}")
            times.append(elapsed)
    times.sort()
    p90 = times[max(0, int(round(0.9 * len(times))) - 1)]
    print(f"cold start (process start -> first answered event), {len(times)} runs, "
          f"{os.cpu_count()} cores: min {times[0]:.1f} ms, median {statistics.median(times):.1f} ms, "
          f"p90 {p90:.1f} ms, max {times[-1]:.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
