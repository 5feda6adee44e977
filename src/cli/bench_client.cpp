// How fast the remote-API client stack is (request bodies, libcurl multi, retries bookkeeping,
// response parsing) against an endpoint that answers at once, so that the harness is never the
// bottleneck of a remote evaluation. With no --url a trivial OpenAI-style endpoint is served
// from this process on loopback; --url measures against any Completions endpoint instead.
#include "bench_client.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "flopwise/backends.hpp"
#include "flopwise/error.hpp"

namespace flopwise::cli {

namespace {

double thread_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// A Completions endpoint that answers every request with the same short completion.
class TrivialEndpoint {
public:
    explicit TrivialEndpoint(int threads) {
        const std::string answer = nlohmann::json{{"id", "cmpl-bench"},
                                                  {"object", "text_completion"},
                                                  {"choices", {{{"index", 0}, {"text", " ok"}, {"finish_reason", "stop"}}}},
                                                  {"usage", {{"prompt_tokens", 8}, {"completion_tokens", 1}, {"total_tokens", 9}}}}
                                       .dump();
        // One thread per kept-alive connection, connections kept for the whole run, no Nagle delay.
        server_.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
        server_.set_keep_alive_max_count(1 << 30);
        server_.set_tcp_nodelay(true);
        server_.Post("/v1/completions", [answer](const httplib::Request&, httplib::Response& response) { response.set_content(answer, "application/json"); });
        port_ = server_.bind_to_any_port("127.0.0.1");
        if (port_ <= 0) throw Error("flopwise bench client: cannot listen on a loopback port");
        // The socket listens from bind_to_any_port on; connections wait in its backlog until the loop starts.
        thread_ = std::thread([this] { server_.listen_after_bind(); });
    }
    ~TrivialEndpoint() {
        server_.stop();
        thread_.join();
    }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
};

}  // namespace

int bench_client(Args& args) {
    const auto url = args.value("url");
    const int32_t concurrency = static_cast<int32_t>(args.integer("concurrency", 64, 1, 4096));
    const int64_t requests = args.integer("requests", 20000, 1, 100000000);
    const auto json_path = args.value("json");
    args.finish();

    std::unique_ptr<TrivialEndpoint> endpoint;
    if (!url) endpoint = std::make_unique<TrivialEndpoint>(concurrency + 4);
    ModelOptions options;
    options.remote.base_url = url ? *url : endpoint->base_url();
    options.remote.max_concurrency = concurrency;
    options.remote.request_timeout_seconds = 30;
    auto model = open_language_model("openai:bench", options);

    const auto batch = [&](int64_t n, int64_t offset) {
        std::vector<GenerateRequest> batch(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            batch[static_cast<size_t>(i)].context = "Benchmark prompt number " + std::to_string(offset + i) + ". The answer is";
            batch[static_cast<size_t>(i)].max_tokens = 1;
        }
        return batch;
    };
    const auto warm_up = batch(std::min<int64_t>(requests, 2 * concurrency), -1000000);
    model->generate(warm_up);
    const auto measured = batch(requests, 0);
    const double cpu_start = thread_cpu_seconds();
    const auto started = std::chrono::steady_clock::now();
    const auto results = model->generate(measured);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double client_cpu = thread_cpu_seconds() - cpu_start;
    const auto failed = std::count_if(results.begin(), results.end(), [](const GenerateResult& r) { return r.error.has_value(); });
    if (failed > 0) throw Error("flopwise bench client: " + std::to_string(failed) + " requests failed, e.g. " + *std::find_if(results.begin(), results.end(), [](const GenerateResult& r) { return r.error.has_value(); })->error);

    const double rate = static_cast<double>(requests) / wall;
    const double overhead_us = client_cpu / static_cast<double>(requests) * 1e6;
    std::printf("endpoint: %s (%s)\n", options.remote.base_url.c_str(), url ? "given" : "trivial, served in-process");
    std::printf("  %lld requests, concurrency %d: %.0f requests/s, %.1f us client CPU per request, wall %.2f s\n", static_cast<long long>(requests),
                concurrency, rate, overhead_us, wall);
    if (json_path) {
        const nlohmann::ordered_json out = {{"endpoint", options.remote.base_url}, {"in_process_endpoint", !url},
                                            {"requests", requests},               {"concurrency", concurrency},
                                            {"wall_seconds", wall},               {"requests_per_second", rate},
                                            {"client_cpu_seconds", client_cpu},   {"client_cpu_us_per_request", overhead_us}};
        std::ofstream file(*json_path);
        if (!file) throw Error(*json_path + ": cannot open for writing");
        file << out.dump(2) << "\n";
    }
    return 0;
}

}  // namespace flopwise::cli
