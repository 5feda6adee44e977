#!/usr/bin/env python3
"""Sends one generation request through an official SDK (the `anthropic` or `openai` package), so
a test can compare the request it sends with the one flopwise sends for the same inputs.
The key comes from the environment, as the SDKs read it."""
import argparse
import json
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", choices=["anthropic", "openai-chat", "openai-responses"], required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--system", default="")
    parser.add_argument("--max-tokens", type=int, required=True)
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--stop", action="append", default=[])
    args = parser.parse_args()
    if args.api == "anthropic":
        import anthropic
        client = anthropic.Anthropic(base_url=args.base_url, max_retries=0)
        extra = {"system": args.system} if args.system else {}
        if args.stop:
            extra["stop_sequences"] = args.stop
        message = client.messages.create(model=args.model, max_tokens=args.max_tokens, messages=[{"role": "user", "content": args.prompt}], **extra)
        text = "".join(block.text for block in message.content if block.type == "text")
    elif args.api == "openai-chat":
        import openai
        client = openai.OpenAI(base_url=args.base_url, max_retries=0)
        messages = ([{"role": "system", "content": args.system}] if args.system else []) + [{"role": "user", "content": args.prompt}]
        extra = {"stop": args.stop} if args.stop else {}
        completion = client.chat.completions.create(model=args.model, messages=messages, max_tokens=args.max_tokens,
                                                    temperature=args.temperature, **extra)
        text = completion.choices[0].message.content
    else:
        import openai
        client = openai.OpenAI(base_url=args.base_url, max_retries=0)
        extra = {"instructions": args.system} if args.system else {}
        response = client.responses.create(model=args.model, input=args.prompt, max_output_tokens=args.max_tokens, store=False, **extra)
        text = response.output_text
    json.dump({"text": text}, sys.stdout)


if __name__ == "__main__":
    main()
