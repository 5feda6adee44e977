#!/usr/bin/env python3
"""A loopback stand-in for the OpenAI and Anthropic APIs, for the remote-backend tests.

Answers deterministically from the request, so a test can compute every expected answer:
  - generation (completions, chat, messages, responses): "answer-" + the first 16 hex digits of
    SHA-256 of the prompt (for chat-style APIs, the system prompt + "|" + the last message, which
    is the Responses API's input when that is text);
  - completions with echo: one token per character of the prompt, token i scoring
    -(((ord(c) * 31 + i * 7) % 97) / 10 + 0.01), the first token unscored (null); the token is its
    own most likely one unless (ord(c) + i) % 3 == 0.
Faults are injected at seeded random, per request body and attempt, so which attempt of which
request fails is the same on every run however the requests interleave. Every request is logged
as one JSON line (method, path, headers, body, the fault given).
"""
import argparse
import hashlib
import json
import os
import random
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ["429", "500", "503", "garbage", "truncated", "stall", "drop"]


def answer_text(prompt):
    return "answer-" + hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:16]


def token_logprob(c, i):
    return -(((ord(c) * 31 + i * 7) % 97) / 10 + 0.01)


def echo_logprobs(prompt, byte_tokens):
    tokens = list(prompt)
    logprobs = [None] + [token_logprob(c, i) for i, c in enumerate(tokens)][1:]
    top = [None]
    for i, c in enumerate(tokens[1:], start=1):
        lp = token_logprob(c, i)
        top.append({c: lp} if (ord(c) + i) % 3 else {"\u00a7": lp + 0.5, c: lp})
    if byte_tokens:  # as OpenAI writes tokens that are not whole characters; the offsets still count characters
        spelled = ["".join(f"\\x{b:02x}" for b in c.encode()) for c in tokens]
        tokens = [c if ord(c) < 128 else "bytes:" + s for c, s in zip(tokens, spelled)]
        top = [t if t is None else {("bytes:" + "".join(f"\\x{b:02x}" for b in k.encode()) if ord(k[0]) >= 128 else k): v
                                     for k, v in t.items()} for t in top]
    return {"tokens": tokens, "token_logprobs": logprobs, "top_logprobs": top, "text_offset": list(range(len(tokens)))}


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.attempts = {}
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None

    def next_attempt(self, key):
        with self.lock:
            n = self.attempts.get(key, 0)
            self.attempts[key] = n + 1
            return n

    def record(self, entry):
        if self.log:
            with self.lock:
                self.log.write(json.dumps(entry) + "\n")
                self.log.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):
        pass

    def send_json(self, status, payload, headers=()):
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", "req_" + hashlib.sha256(data).hexdigest()[:12])
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.send_json(200, {"object": "list", "data": [{"id": "test-model", "object": "model"}]})

    def do_POST(self):
        args = self.state.args
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        key = hashlib.sha256(self.path.encode() + b"\n" + raw).hexdigest()
        attempt = self.state.next_attempt(key)
        fault = None
        rng = random.Random(f"{args.seed}:{key}:{attempt}")
        if args.always_fail_modulo and int(key[:8], 16) % args.always_fail_modulo == 0:
            fault = "500"
        elif attempt < args.max_faults and rng.random() < args.fault_rate:
            fault = rng.choice(FAULTS)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self.state.record({"method": "POST", "path": self.path, "headers": dict(self.headers.items()), "body": body,
                           "key": key, "attempt": attempt, "fault": fault})
        if args.reject_key:
            presented = self.headers.get("Authorization", "") or self.headers.get("x-api-key", "")
            return self.send_json(401, {"error": {"message": "Incorrect API key provided: " + presented.replace("Bearer ", "")}})
        if fault:
            return self.inject(fault)
        if body is None:
            return self.send_json(400, {"error": {"message": "body is not JSON"}})
        self.send_json(200, self.answer(body))

    def inject(self, fault):
        args = self.state.args
        if fault == "429":
            return self.send_json(429, {"error": {"message": "rate limited"}}, [("Retry-After", "1")])
        if fault in ("500", "503"):
            return self.send_json(int(fault), {"error": {"message": "server error " + fault}})
        if fault == "garbage":
            data = b'{"choices": [{"text": oops'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if fault == "truncated":
            data = json.dumps({"choices": [{"text": "x" * 200}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "stall":
            time.sleep(args.stall_seconds)
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def answer(self, body):
        path = self.path
        model = body.get("model", "")
        if path.endswith("/chat/completions"):
            messages = body.get("messages", [])
            system = "".join(m["content"] for m in messages if m.get("role") == "system")
            text = answer_text(system + "|" + messages[-1]["content"])
            return {"id": "chatcmpl-1", "object": "chat.completion", "model": model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16,
                              "completion_tokens_details": {"reasoning_tokens": 0}}}
        if path.endswith("/completions"):
            prompt = body["prompt"]
            if body.get("echo"):
                lp = None if self.state.args.silent_echo else echo_logprobs(prompt, self.state.args.byte_tokens)
                return {"id": "cmpl-1", "object": "text_completion", "model": model,
                        "choices": [{"index": 0, "text": prompt, "logprobs": lp, "finish_reason": "length"}],
                        "usage": {"prompt_tokens": len(prompt), "completion_tokens": 0, "total_tokens": len(prompt)}}
            return {"id": "cmpl-1", "object": "text_completion", "model": model,
                    "choices": [{"index": 0, "text": answer_text(prompt) + "\n\nQuestion: more", "logprobs": None, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": len(prompt) // 4 + 1, "completion_tokens": 9, "total_tokens": len(prompt) // 4 + 10}}
        if path.endswith("/messages"):
            text = answer_text(body.get("system", "") + "|" + body["messages"][-1]["content"])
            return {"id": "msg_1", "type": "message", "role": "assistant", "model": model,
                    "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
                    "usage": {"input_tokens": 13, "output_tokens": 6}}
        if path.endswith("/responses"):
            last = body["input"] if isinstance(body["input"], str) else body["input"][-1]["content"]
            text = answer_text(body.get("instructions", "") + "|" + last)
            return {"id": "resp_1", "object": "response", "model": model, "status": "completed",
                    "output": [{"type": "reasoning", "id": "rs_1", "summary": []},
                               {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                                "content": [{"type": "output_text", "text": text, "annotations": []}]}],
                    "usage": {"input_tokens": 17, "output_tokens": 40, "output_tokens_details": {"reasoning_tokens": 32},
                              "total_tokens": 57}}
        return {"error": {"message": "unknown path " + path}}


class Server(ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that went away mid-answer (a run stopped early) is not the server's failure.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--max-faults", type=int, default=3, help="faults per request body at most; later attempts succeed")
    parser.add_argument("--stall-seconds", type=float, default=3.0)
    parser.add_argument("--always-fail-modulo", type=int, default=0, help="requests whose key is 0 modulo N always get 500")
    parser.add_argument("--silent-echo", action="store_true", help="answer echo requests without log-probabilities")
    parser.add_argument("--byte-tokens", action="store_true", help="write non-ASCII tokens as bytes:\\xNN (they no longer spell the prompt)")
    parser.add_argument("--reject-key", action="store_true", help="answer 401 quoting the key presented")
    args = parser.parse_args()
    Handler.state = State(args)
    server = Server(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
