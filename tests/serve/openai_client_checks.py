"""Drives a running `flopwise serve` with the official `openai` client (and raw HTTP where the
client cannot send what is tested). Run by tests/unit/serve/serve_http_test.cpp:

    openai_client_checks.py CHECK --base-url http://127.0.0.1:PORT/v1 --model NAME --flopwise BIN --gguf PATH

Each CHECK raises AssertionError (exit 1) on any difference from what the engine computes itself.
"""
import argparse
import concurrent.futures
import http.client
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import openai


def flopwise(args, *words):
    out = subprocess.run([args.flopwise, *words, "--model", args.gguf], check=True, capture_output=True, text=True)
    return out.stdout


def close(a, b, tol=1e-4):
    return abs(a - b) <= tol


def raw_post(args, path, body, headers=None):
    """POST raw bytes; returns (status, parsed JSON body)."""
    request = urllib.request.Request(args.base_url + path, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def check_error_body(body, code=None, param=None):
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert isinstance(error["message"], str) and error["message"], error
    if code is not None:
        assert error["code"] == code, error
    if param is not None:
        assert error["param"] == param, error


def echo_logprobs(client, args):
    """Prompt log-probs through echo + logprobs equal the engine's own scoring of the same text."""
    context, continuation = "The capital of France is", " Paris, a city on the Seine"
    scored = json.loads(flopwise(args, "score", "--context", context, "--continuation", continuation))
    expected = scored["token_logprobs"]
    prompt = context + continuation
    for max_tokens in (0, 1):  # 0: OpenAI/vLLM style; 1: what lm-evaluation-harness sends
        r = client.completions.create(model=args.model, prompt=prompt, max_tokens=max_tokens, echo=True, logprobs=1, temperature=0)
        choice = r.choices[0]
        lp = choice.logprobs
        n_prompt = r.usage.prompt_tokens
        assert len(lp.tokens) == n_prompt + max_tokens, (len(lp.tokens), n_prompt, max_tokens)
        assert r.usage.completion_tokens == max_tokens and r.usage.total_tokens == n_prompt + max_tokens, r.usage
        assert choice.text.startswith(prompt), choice.text
        assert lp.token_logprobs[0] is None and lp.top_logprobs[0] is None
        assert "".join(lp.tokens[:n_prompt]) == prompt, lp.tokens
        offsets = [len("".join(lp.tokens[:i]).encode()) for i in range(n_prompt)]
        assert lp.text_offset[:n_prompt] == offsets, (lp.text_offset, offsets)
        got = lp.token_logprobs[n_prompt - len(expected):n_prompt]
        assert all(close(g, e) for g, e in zip(got, expected)), (got, expected)
        for token_lp, top in zip(lp.token_logprobs[1:], lp.top_logprobs[1:]):
            assert len(top) == 1 and max(top.values()) >= token_lp - 1e-9, (token_lp, top)
        greedy = all(max(top, key=top.get) == tok for tok, top in zip(lp.tokens[n_prompt - len(expected):n_prompt],
                                                                        lp.top_logprobs[n_prompt - len(expected):n_prompt]))
        assert greedy == scored["greedy"], (greedy, scored["greedy"])
    # Several prompts at once give each the same numbers as alone; token-id prompts too.
    prompts = [prompt, "Water boils at 100 degrees", "One, two, three, four"]
    batch = client.completions.create(model=args.model, prompt=prompts, max_tokens=0, echo=True, logprobs=3)
    assert [c.index for c in batch.choices] == [0, 1, 2]
    for text, choice in zip(prompts, batch.choices):
        alone = client.completions.create(model=args.model, prompt=text, max_tokens=0, echo=True, logprobs=3).choices[0]
        assert choice.logprobs.token_logprobs == alone.logprobs.token_logprobs
        assert all(len(t) <= 3 for t in choice.logprobs.top_logprobs[1:])
    ids = [int(t) for t in flopwise(args, "tokenize", "--text", prompt).split()]
    by_ids = client.completions.create(model=args.model, prompt=ids, max_tokens=0, echo=True, logprobs=1).choices[0]
    assert by_ids.logprobs.token_logprobs == batch.choices[0].logprobs.token_logprobs


def completions(client, args):
    """Greedy generation equals `flopwise generate`; stop strings, lengths and seeds behave."""
    prompt = "The capital of France is"
    expected = json.loads(flopwise(args, "generate", "--prompt", prompt, "--max-tokens", "8", "--json"))
    r = client.completions.create(model=args.model, prompt=prompt, max_tokens=8, temperature=0)
    assert r.choices[0].text == expected["text"], (r.choices[0].text, expected["text"])
    assert r.usage.prompt_tokens == expected["prompt_tokens"] and r.usage.completion_tokens == expected["generated_tokens"], r.usage
    assert r.choices[0].finish_reason == ("length" if expected["finish_reason"] == "length" else "stop")
    assert r.object == "text_completion" and r.model == args.model
    # A stop string taken from the greedy text cuts it there.
    cut = expected["text"].strip().split(" ")[1]
    r = client.completions.create(model=args.model, prompt=prompt, max_tokens=8, temperature=0, stop=[cut])
    assert r.choices[0].finish_reason == "stop" and r.choices[0].text == expected["text"][:expected["text"].index(cut)], r.choices[0]
    # Generated-token log-probs: the greedy token is the top one.
    r = client.completions.create(model=args.model, prompt=prompt, max_tokens=4, temperature=0, logprobs=2)
    lp = r.choices[0].logprobs
    assert len(lp.tokens) == 4 and "".join(lp.tokens) == r.choices[0].text
    for tok, token_lp, top in zip(lp.tokens, lp.token_logprobs, lp.top_logprobs):
        assert max(top, key=top.get) == tok and close(top[tok], token_lp, 1e-12), (tok, token_lp, top)
    # Seeded sampling repeats; another seed is allowed to differ.
    sampled = [client.completions.create(model=args.model, prompt=prompt, max_tokens=6, temperature=1.0, top_p=0.9, seed=s)
               .choices[0].text for s in (11, 11)]
    assert sampled[0] == sampled[1], sampled
    models = client.models.list()
    assert [m.id for m in models.data] == [args.model]


def chat(client, args):
    """Chat completions through the Gemma template: the prompt is the rendered conversation."""
    messages = [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "What colour is the sky?"}]
    rendered = "<bos><start_of_turn>user\nAnswer in one word.\n\nWhat colour is the sky?<end_of_turn>\n<start_of_turn>model\n"
    n_tokens = len(flopwise(args, "tokenize", "--special", "--no-bos", "--text", rendered).split())
    r = client.chat.completions.create(model=args.model, messages=messages, max_tokens=8, temperature=0)
    choice = r.choices[0]
    assert r.object == "chat.completion" and choice.message.role == "assistant"
    assert isinstance(choice.message.content, str) and choice.message.content, choice
    assert choice.finish_reason in ("stop", "length")
    assert r.usage.prompt_tokens == n_tokens, (r.usage, n_tokens)
    assert "<end_of_turn>" not in choice.message.content
    # The same conversation again, with log-probs: same text, greedy tokens on top.
    r2 = client.chat.completions.create(model=args.model, messages=messages, max_tokens=8, temperature=0, logprobs=True, top_logprobs=3)
    assert r2.choices[0].message.content == choice.message.content
    content = r2.choices[0].logprobs.content
    assert len(content) == r2.usage.completion_tokens
    for entry in content:
        assert len(entry.top_logprobs) == 3 and entry.top_logprobs[0].token == entry.token
        assert close(entry.top_logprobs[0].logprob, entry.logprob, 1e-12)
        assert bytes(entry.bytes).decode("utf-8", "replace") == entry.token or entry.token.endswith("\ufffd")


def streaming(client, args):
    """Streamed text, put together, equals the non-streamed text; usage arrives when asked for."""
    prompt = "Once upon a time"
    whole = client.completions.create(model=args.model, prompt=prompt, max_tokens=10, temperature=0)
    chunks = list(client.completions.create(model=args.model, prompt=prompt, max_tokens=10, temperature=0, stream=True,
                                            stream_options={"include_usage": True}))
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert text == whole.choices[0].text, (text, whole.choices[0].text)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == whole.choices[0].finish_reason
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens, chunks[-1]
    stop = whole.choices[0].text.split(" ")[2]
    cut = client.completions.create(model=args.model, prompt=prompt, max_tokens=10, temperature=0, stop=[stop])
    streamed = "".join(c.choices[0].text for c in client.completions.create(
        model=args.model, prompt=prompt, max_tokens=10, temperature=0, stop=[stop], stream=True) if c.choices)
    assert streamed == cut.choices[0].text and stop not in streamed, (streamed, cut.choices[0].text)
    messages = [{"role": "user", "content": "Write a short greeting."}]
    chat_whole = client.chat.completions.create(model=args.model, messages=messages, max_tokens=8, temperature=0)
    chat_chunks = list(client.chat.completions.create(model=args.model, messages=messages, max_tokens=8, temperature=0, stream=True))
    assert chat_chunks[0].choices[0].delta.role == "assistant"
    chat_text = "".join(c.choices[0].delta.content or "" for c in chat_chunks)
    assert chat_text == chat_whole.choices[0].message.content, (chat_text, chat_whole.choices[0].message.content)
    assert chat_chunks[-1].choices[0].finish_reason == chat_whole.choices[0].finish_reason


def health(args):
    with urllib.request.urlopen(args.base_url.removesuffix("/v1") + "/health", timeout=30) as response:
        return json.loads(response.read())


def client_hangs_up(client, args):
    """A streaming client that goes away mid-generation gets its request cancelled; the server lives on."""
    before = health(args)["cancelled"]
    host, port = args.base_url.removeprefix("http://").removesuffix("/v1").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    body = json.dumps({"model": args.model, "prompt": "Tell me a long story.", "max_tokens": 400, "temperature": 0, "stream": True})
    connection.request("POST", "/v1/completions", body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200 and response.readline().startswith(b"data: "), response.status
    connection.sock.shutdown(socket.SHUT_RDWR)
    connection.close()
    deadline = time.time() + 120
    while health(args)["cancelled"] == before:
        assert time.time() < deadline, "the abandoned generation was not cancelled"
        time.sleep(0.2)
    assert client.completions.create(model=args.model, prompt="hi", max_tokens=1).usage.prompt_tokens > 0


def errors(client, args):
    """OpenAI-style errors with the right HTTP statuses."""
    status, body = raw_post(args, "/completions", b'{"model": "x", "prompt": ')
    assert status == 400, status
    check_error_body(body, "invalid_json")
    status, body = raw_post(args, "/completions", json.dumps({"model": args.model, "prompt": "hi", "max_tokens": "ten"}).encode())
    assert status == 400, status
    check_error_body(body, "invalid_type", "max_tokens")
    try:
        client.completions.create(model=args.model, prompt="hi", max_tokens=2, extra_body={"temperature": "warm"})
        raise AssertionError("a string temperature was accepted")
    except openai.BadRequestError as e:
        assert e.status_code == 400 and e.body["param"] == "temperature", e.body
    try:
        client.completions.create(model=args.model, prompt="hi", max_tokens=2, extra_body={"repetition_penalty_typo": 1})
        raise AssertionError("an unknown field was accepted")
    except openai.BadRequestError as e:
        assert e.body["code"] == "unknown_parameter", e.body
    try:
        client.completions.create(model="no-such-model", prompt="hi", max_tokens=2)
        raise AssertionError("an unknown model was accepted")
    except openai.NotFoundError as e:
        assert e.status_code == 404 and e.body["code"] == "model_not_found", e.body
    try:
        client.chat.completions.create(model=args.model, messages=[{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])
        raise AssertionError("a conversation the template cannot render was accepted")
    except openai.BadRequestError as e:
        assert e.body["param"] == "messages", e.body
    try:
        client.completions.create(model=args.model, prompt="word " * 2000, max_tokens=1)
        raise AssertionError("a prompt longer than the context was accepted")
    except openai.BadRequestError as e:
        assert e.body["code"] == "context_length_exceeded", e.body
    try:
        client.completions.create(model=args.model, prompt="hi", max_tokens=100000)
        raise AssertionError("max_tokens beyond the context was accepted")
    except openai.BadRequestError as e:
        assert e.body["code"] == "context_length_exceeded" and e.body["param"] == "max_tokens", e.body
    status, body = raw_post(args, "/completions", b'{"model": "x", "prompt": "' + b"a" * (2 << 20) + b'"}')
    assert status == 413, status
    check_error_body(body, "request_too_large")
    status, body = raw_post(args, "/nothing-here", b"{}")
    assert status == 404, status
    check_error_body(body, "unknown_url")
    # After all that the server still answers.
    assert client.completions.create(model=args.model, prompt="hi", max_tokens=1).usage.prompt_tokens > 0


def concurrency(client, args):
    """16 requests at once give exactly what they give one by one."""
    def request(i):
        if i % 4 == 0:
            r = client.completions.create(model=args.model, prompt=f"Fact number {i}: the sun", max_tokens=0, echo=True, logprobs=2)
            return r.choices[0].logprobs.token_logprobs, r.choices[0].logprobs.top_logprobs
        if i % 4 == 1:
            r = client.chat.completions.create(model=args.model, messages=[{"role": "user", "content": f"Count to {i}."}],
                                               max_tokens=5, temperature=0)
            return r.choices[0].message.content, r.usage.completion_tokens
        sampling = {"temperature": 0.8, "seed": i} if i % 4 == 2 else {"temperature": 0}
        r = client.completions.create(model=args.model, prompt=f"Story {i}: In a small village", max_tokens=4 + i % 3, **sampling)
        return r.choices[0].text, r.choices[0].finish_reason, r.usage.completion_tokens

    sequential = [request(i) for i in range(16)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        parallel = list(pool.map(request, range(16)))
    for i, (a, b) in enumerate(zip(sequential, parallel)):
        assert a == b, (i, a, b)
    print("scheduler:", json.dumps(health(args)))


def gguf_template_chat(client, args):
    """A server started without --chat-template uses the template recognised in the GGUF (SmolLM2's)."""
    rendered = ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n")
    n_tokens = len(flopwise(args, "tokenize", "--special", "--no-bos", "--text", rendered).split())
    r = client.chat.completions.create(model=args.model, messages=[{"role": "user", "content": "Hi!"}], max_tokens=6, temperature=0)
    assert r.usage.prompt_tokens == n_tokens, (r.usage, n_tokens)
    assert r.choices[0].message.content and "<|im_end|>" not in r.choices[0].message.content, r.choices[0]


CHECKS = {f.__name__: f for f in (echo_logprobs, completions, chat, streaming, client_hangs_up, errors, concurrency,
                                          gguf_template_chat)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("check", choices=sorted(CHECKS))
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--flopwise", required=True)
    parser.add_argument("--gguf", required=True)
    args = parser.parse_args()
    client = openai.OpenAI(base_url=args.base_url, api_key="unused", max_retries=0, timeout=300)
    CHECKS[args.check](client, args)
    print(f"{args.check}: ok")


if __name__ == "__main__":
    sys.exit(main())
