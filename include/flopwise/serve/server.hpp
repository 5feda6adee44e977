#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "flopwise/engine.hpp"

namespace flopwise::serve {

struct ServerOptions {
    std::string host = "127.0.0.1";  // loopback unless told otherwise
    int port = 8080;                 // 0: any free port (bind() tells which)
    int32_t parallel = 8;            // most requests run as one batch
    int32_t http_threads = 64;       // connections served at once (each waits for its result)
    size_t max_body_bytes = 8u << 20;
    std::string model_name;                    // the id clients use; empty: the GGUF file name without ".gguf"
    std::optional<std::string> chat_template;  // a built-in template's name, overriding the GGUF's own
};

// The OpenAI-compatible HTTP API over one engine: GET /v1/models, POST /v1/completions,
// POST /v1/chat/completions (JSON or server-sent events), GET /health.
class Server {
public:
    // Throws Error for a bad option (unknown template name, no model name).
    Server(Engine& engine, ServerOptions options);
    ~Server();

    const std::string& model_name() const;
    // "chat template NAME", or why chat requests are refused (no or an unknown template).
    std::string chat_template_summary() const;
    // Binds the listening socket and returns its port; throws Error when it cannot.
    int bind();
    // Serves until stop() (from another thread).
    void listen();
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flopwise::serve
