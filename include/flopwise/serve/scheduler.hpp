#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "flopwise/engine.hpp"

namespace flopwise::serve {

// Runs requests from many HTTP threads on one engine (which is not thread-safe): requests queue,
// and one worker takes whatever has arrived, up to `parallel` requests, and runs them as one
// batch: scoring requests through Engine::score, generation requests decoded in lockstep through
// the batched Engine::generate, which new generation requests join between decode steps while
// fewer than `parallel` run. Batching never changes a result: the engine is batch-invariant.
class Scheduler {
public:
    // Called on the worker thread after each generated token and once at the end (finish_reason
    // set); returning false cancels the request (its client went away).
    using Progress = std::function<bool(const GenerationResult& progress)>;

    struct Stats {
        int64_t batches = 0;
        int64_t requests = 0;
        int64_t largest_batch = 0;  // most requests run together
        int64_t cancelled = 0;      // generations stopped because their client went away
    };

    Scheduler(Engine& engine, int32_t parallel);
    ~Scheduler();  // finishes the batch under way; queued requests fail with an Error
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    std::future<ScoreResult> score(ScoreRequest request);
    std::future<GenerationResult> generate(GenerationRequest request, Progress progress = {});
    Stats stats() const;

private:
    struct Job {
        bool is_score = false;
        ScoreRequest score;
        std::promise<ScoreResult> scored;
        GenerationRequest generation;
        Progress progress;
        std::promise<GenerationResult> generated;
        bool done = false;
    };
    void run();
    void run_batch(std::deque<Job>& batch);
    void submit(Job job);

    Engine& engine_;
    const size_t parallel_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> queue_;
    bool stopping_ = false;
    Stats stats_;
    std::thread worker_;
};

}  // namespace flopwise::serve
