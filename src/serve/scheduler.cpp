#include "flopwise/serve/scheduler.hpp"

#include <algorithm>

#include "flopwise/error.hpp"

namespace flopwise::serve {
namespace {

size_t checked_parallel(int32_t parallel) {
    if (parallel < 1) throw Error("parallel must be at least 1, got " + std::to_string(parallel));
    return static_cast<size_t>(parallel);
}

}  // namespace

Scheduler::Scheduler(Engine& engine, int32_t parallel)
    : engine_(engine), parallel_(checked_parallel(parallel)), worker_([this] { run(); }) {}

Scheduler::~Scheduler() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
    for (auto& job : queue_) {
        auto failure = std::make_exception_ptr(Error("the server is shutting down"));
        if (job.is_score) job.scored.set_exception(failure);
        else job.generated.set_exception(failure);
    }
}

void Scheduler::submit(Job job) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) throw Error("the server is shutting down");
        queue_.push_back(std::move(job));
    }
    wake_.notify_one();
}

std::future<ScoreResult> Scheduler::score(ScoreRequest request) {
    Job job;
    job.is_score = true;
    job.score = std::move(request);
    auto future = job.scored.get_future();
    submit(std::move(job));
    return future;
}

std::future<GenerationResult> Scheduler::generate(GenerationRequest request, Progress progress) {
    Job job;
    job.generation = std::move(request);
    job.progress = std::move(progress);
    auto future = job.generated.get_future();
    submit(std::move(job));
    return future;
}

Scheduler::Stats Scheduler::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void Scheduler::run() {
    while (true) {
        std::deque<Job> batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            while (!queue_.empty() && batch.size() < parallel_) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            ++stats_.batches;
            stats_.requests += static_cast<int64_t>(batch.size());
            stats_.largest_batch = std::max(stats_.largest_batch, static_cast<int64_t>(batch.size()));
        }
        run_batch(batch);
    }
}

void Scheduler::run_batch(std::deque<Job>& batch) {
    std::vector<Job*> scores, generations;
    for (auto& job : batch) (job.is_score ? scores : generations).push_back(&job);

    if (!scores.empty()) {
        std::vector<ScoreRequest> requests;
        for (Job* job : scores) requests.push_back(job->score);
        try {
            auto results = engine_.score(requests);
            for (size_t i = 0; i < scores.size(); ++i) scores[i]->scored.set_value(std::move(results[i]));
        } catch (...) {
            for (Job* job : scores) job->scored.set_exception(std::current_exception());
        }
    }
    if (generations.empty()) return;

    std::vector<GenerationRequest> requests;
    for (Job* job : generations) requests.push_back(job->generation);
    // A request's future is fulfilled as soon as it ends, not when the whole batch does.
    const GenerationObserver observer = [&](size_t index, const GenerationResult& progress) {
        Job& job = *generations[index];
        const bool going_on = !job.progress || job.progress(progress);
        if (!progress.finish_reason.empty()) {
            job.generated.set_value(progress);
            job.done = true;
        } else if (!going_on) {
            std::lock_guard lock(mutex_);
            ++stats_.cancelled;
        }
        return going_on;
    };
    // Generation requests that arrive meanwhile join the running ones (continuous batching), in
    // queue order: a scoring request at the front stops the joining so that it is not starved.
    const GenerationSource more = [&](size_t running) {
        std::vector<GenerationRequest> joining;
        std::lock_guard lock(mutex_);
        while (!stopping_ && !queue_.empty() && !queue_.front().is_score && running + joining.size() < parallel_) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
            generations.push_back(&batch.back());
            joining.push_back(batch.back().generation);
        }
        stats_.requests += static_cast<int64_t>(joining.size());
        stats_.largest_batch = std::max(stats_.largest_batch, static_cast<int64_t>(running + joining.size()));
        return joining;
    };
    try {
        auto results = engine_.generate(requests, observer, nullptr, more);
        for (size_t i = 0; i < generations.size(); ++i)
            if (!generations[i]->done) generations[i]->generated.set_value(std::move(results[i]));
    } catch (...) {
        for (Job* job : generations)
            if (!job->done) job->generated.set_exception(std::current_exception());
    }
}

}  // namespace flopwise::serve
