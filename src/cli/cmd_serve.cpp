#include <csignal>
#include <cstdio>
#include <thread>

#include "command.hpp"
#include "engine_options.hpp"
#include "flopwise/engine.hpp"
#include "flopwise/serve/chat_template.hpp"
#include "flopwise/serve/server.hpp"

namespace flopwise::cli {
namespace {

int run(Args& args) {
    serve::ServerOptions options;
    const std::string spec = args.required("model");
    options.host = args.value("host").value_or(options.host);
    options.port = static_cast<int>(args.integer("port", options.port, 0, 65535));
    options.parallel = static_cast<int32_t>(args.integer("parallel", options.parallel, 1, 1024));
    options.http_threads = static_cast<int32_t>(args.integer("http-threads", options.http_threads, 1, 4096));
    options.max_body_bytes = static_cast<size_t>(args.integer("max-body-bytes", static_cast<int64_t>(options.max_body_bytes), 1024, int64_t{1} << 32));
    options.model_name = args.value("model-name").value_or("");
    options.chat_template = args.value("chat-template");
    const Engine::Options engine_opts = engine_options(args);
    args.finish();
    if (options.chat_template) serve::ChatTemplate::named(*options.chat_template);  // an unknown name fails before loading

    // SIGINT/SIGTERM are taken by a thread of their own (blocked everywhere else), which stops
    // the server so that it shuts down cleanly.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    // A client that hangs up mid-response makes the write fail; it must not end the process.
    std::signal(SIGPIPE, SIG_IGN);

    auto engine = Engine::load(spec, engine_opts);
    serve::Server server(*engine, options);
    const int port = server.bind();
    std::thread stopper([&] {
        int signal = 0;
        sigwait(&signals, &signal);
        server.stop();
    });
    std::printf("flopwise serve: model '%s' listening on http://%s:%d/v1 (%s)\n", server.model_name().c_str(), options.host.c_str(),
                port, server.chat_template_summary().c_str());
    std::fflush(stdout);
    server.listen();
    stopper.join();
    return 0;
}

const CommandRegistration registration(
    {"serve",
     "--model M [--host 127.0.0.1] [--port 8080 (0: any free)] [--parallel N] [--model-name NAME] [--chat-template gemma|chatml|smollm|llama3] "
     "[--http-threads N] [--max-body-bytes N] [--threads T] [--batch-tokens N] [--max-context N]",
     "serve the model through an OpenAI-compatible HTTP API (/v1/completions, /v1/chat/completions, /v1/models)", run});

}  // namespace
}  // namespace flopwise::cli
