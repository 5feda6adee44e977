#include <httplib.h>

#include <filesystem>

#include "flopwise/error.hpp"
#include "flopwise/serve/server.hpp"
#include "openai_api.hpp"

namespace flopwise::serve {
namespace {

std::string dump(const ordered_json& body) { return body.dump(-1, ' ', false, ordered_json::error_handler_t::replace); }

void send_error(httplib::Response& res, const ApiError& error) {
    res.status = error.status;
    res.set_content(error_body(error).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

// The chat template: the named built-in one, else the one recognised from the GGUF metadata.
// When there is none, chat requests are refused with `reason`.
std::optional<ChatTemplate> choose_template(const Engine& engine, const std::optional<std::string>& name, std::string& reason) {
    if (name) return ChatTemplate::named(*name);
    if (!engine.file().has("tokenizer.chat_template")) {
        reason = "the model has no chat template (tokenizer.chat_template); start the server with --chat-template NAME";
        return std::nullopt;
    }
    try {
        return ChatTemplate::recognise(engine.file().get_string("tokenizer.chat_template"));
    } catch (const Error& e) {
        reason = e.what();
        return std::nullopt;
    }
}

std::string default_model_name(const Engine& engine) { return std::filesystem::path(engine.file().path()).stem().string(); }

}  // namespace

struct Server::Impl {
    Impl(Engine& engine, ServerOptions options)
        : options(std::move(options)), scheduler(engine, this->options.parallel), api(make_api(engine)) {}

    OpenAiApi make_api(Engine& engine) {
        if (options.model_name.empty()) options.model_name = default_model_name(engine);
        std::string reason;
        auto chat_template = choose_template(engine, options.chat_template, reason);
        return OpenAiApi(engine, scheduler, options.model_name, std::move(chat_template), std::move(reason));
    }

    // Parses, validates and answers one request; every failure becomes an OpenAI-style error.
    template <typename Handler>
    void answer(httplib::Response& res, Handler&& handler) {
        try {
            handler();
        } catch (const ApiError& e) {
            send_error(res, e);
        } catch (const Error& e) {
            send_error(res, ApiError(400, "invalid_request_error", "", "", e.what()));
        } catch (const std::exception& e) {
            send_error(res, ApiError(500, "server_error", "internal_error", "", std::string("internal error: ") + e.what()));
        }
    }

    // Streams server-sent events: `produce` sends chunks as `data: {...}`, then `data: [DONE]`.
    template <typename Produce>
    void stream(httplib::Response& res, Produce produce) {
        res.set_chunked_content_provider("text/event-stream", [produce](size_t, httplib::DataSink& sink) {
            auto send = [&sink](const ordered_json& chunk) {
                const std::string event = "data: " + dump(chunk) + "\n\n";
                return sink.write(event.data(), event.size());
            };
            auto alive = [&sink] { return sink.is_writable(); };
            try {
                produce(send, alive);
            } catch (const std::exception& e) {
                send(ordered_json{{"error", {{"message", std::string("internal error: ") + e.what()}, {"type", "server_error"},
                                             {"param", nullptr}, {"code", "internal_error"}}}});
            }
            const std::string done = "data: [DONE]\n\n";
            sink.write(done.data(), done.size());
            sink.done();
            return true;
        });
        res.set_header("Cache-Control", "no-cache");
    }

    void routes() {
        http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
            const auto stats = scheduler.stats();
            res.set_content(dump({{"status", "ok"}, {"batches", stats.batches}, {"requests", stats.requests},
                                  {"largest_batch", stats.largest_batch}, {"cancelled", stats.cancelled}}),
                            "application/json");
        });
        http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
            res.set_content(dump(api.models()), "application/json");
        });
        http.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
            answer(res, [&] {
                auto request = std::make_shared<CompletionRequest>(parse_completion_request(req.body));
                auto prompts = std::make_shared<std::vector<PreparedPrompt>>(api.prepare_completion(*request));
                if (!request->fields.stream) {
                    res.set_content(dump(api.complete(*request, *prompts)), "application/json");
                    return;
                }
                stream(res, [this, request, prompts](const ChunkSink& send, const ClientAlive& alive) {
                    api.stream_completion(*request, *prompts, send, alive);
                });
            });
        });
        http.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
            answer(res, [&] {
                auto request = std::make_shared<ChatRequest>(parse_chat_request(req.body));
                auto prompt = std::make_shared<PreparedPrompt>(api.prepare_chat(*request));
                if (!request->fields.stream) {
                    res.set_content(dump(api.chat(*request, *prompt)), "application/json");
                    return;
                }
                stream(res, [this, request, prompt](const ChunkSink& send, const ClientAlive& alive) {
                    api.stream_chat(*request, *prompt, send, alive);
                });
            });
        });
        // Errors httplib answers itself (unknown path, body too large) get an OpenAI-style body too.
        http.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
            if (!res.body.empty() || res.is_chunked_content_provider_) return httplib::Server::HandlerResponse::Unhandled;
            if (res.status == 413)
                send_error(res, ApiError(413, "invalid_request_error", "request_too_large", "",
                                         "the request body exceeds the limit of " + std::to_string(options.max_body_bytes) + " bytes"));
            else if (res.status == 404)
                send_error(res, ApiError(404, "invalid_request_error", "unknown_url", "", "unknown endpoint " + req.method + " " + req.path));
            else
                send_error(res, ApiError(res.status, "invalid_request_error", "", "", "the request could not be handled (HTTP " +
                                                                                            std::to_string(res.status) + ")"));
            return httplib::Server::HandlerResponse::Handled;
        }));
        http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr failure) {
            std::string what = "unknown failure";
            try {
                std::rethrow_exception(failure);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            send_error(res, ApiError(500, "server_error", "internal_error", "", "internal error: " + what));
        });
        http.set_payload_max_length(options.max_body_bytes);
        const size_t threads = static_cast<size_t>(std::max(options.http_threads, 1));
        http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    }

    ServerOptions options;
    Scheduler scheduler;
    OpenAiApi api;
    httplib::Server http;
};

Server::Server(Engine& engine, ServerOptions options) : impl_(std::make_unique<Impl>(engine, std::move(options))) {
    impl_->routes();
}

Server::~Server() = default;

const std::string& Server::model_name() const { return impl_->options.model_name; }

std::string Server::chat_template_summary() const { return impl_->api.chat_template_summary(); }

int Server::bind() {
    const auto& o = impl_->options;
    const int port = o.port == 0 ? impl_->http.bind_to_any_port(o.host) : (impl_->http.bind_to_port(o.host, o.port) ? o.port : -1);
    if (port < 0) throw Error("cannot listen on " + o.host + ":" + std::to_string(o.port) + " (address in use or not available)");
    return port;
}

void Server::listen() { impl_->http.listen_after_bind(); }

void Server::stop() { impl_->http.stop(); }

}  // namespace flopwise::serve
