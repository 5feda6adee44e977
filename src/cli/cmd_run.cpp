#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <type_traits>

#include "command.hpp"
#include "engine_options.hpp"
#include "flopwise/backends.hpp"
#include "flopwise/error.hpp"
#include "flopwise/eval/locations.hpp"
#include "flopwise/eval/results.hpp"
#include "flopwise/scale/launch.hpp"
#include "flopwise/scale/rank_cache.hpp"
#include "flopwise/scale/sharded_run.hpp"
#include "remote_options.hpp"

namespace flopwise::cli {
namespace {

// "--tasks hellaswag:10,arc_challenge:25,mmlu": names with optional per-task shot counts.
struct TaskChoice {
    std::vector<std::string> names;
    std::map<std::string, int32_t> shots;
};

TaskChoice parse_tasks(const std::vector<std::string>& items) {
    TaskChoice out;
    for (const auto& item : items) {
        const size_t colon = item.rfind(':');
        if (colon == std::string::npos || item.find_first_not_of("0123456789", colon + 1) != std::string::npos || colon + 1 == item.size()) {
            out.names.push_back(item);
            continue;
        }
        const std::string name = item.substr(0, colon);
        const long shots = std::stol(item.substr(colon + 1));
        if (shots > 1000) throw Error("flopwise run: --tasks " + item + ": at most 1000 few-shot examples");
        out.names.push_back(name);
        out.shots[name] = static_cast<int32_t>(shots);
    }
    return out;
}

eval::Progress::Style progress_style(const std::string& name) {
    if (name == "auto") return eval::Progress::Style::automatic;
    if (name == "bar") return eval::Progress::Style::bar;
    if (name == "lines") return eval::Progress::Style::lines;
    if (name == "none") return eval::Progress::Style::quiet;
    throw Error("flopwise run: --progress must be auto, bar, lines or none, got '" + name + "'");
}

// An integer flag that may be absent (Args::integer's checks, with a fallback outside the range).
std::optional<int64_t> optional_integer(Args& args, const std::string& name, int64_t min, int64_t max) {
    const int64_t value = args.integer(name, min - 1, min, max);
    if (value == min - 1) return std::nullopt;
    return value;
}

struct RunPlanning {
    TaskChoice choice;
    eval::PlanOptions options;
    eval::Locations locations;
};

// Reads and checks the tasks and their data (before any model is loaded) and plans every task.
// The plans point into the registry.
std::pair<std::vector<eval::TaskPlan>, std::vector<eval::SelectedGroup>> plan_run(const RunPlanning& p, eval::TaskRegistry& registry) {
    const eval::TaskSelection selection = registry.select(p.choice.names);
    for (const auto& [name, k] : p.choice.shots)
        if (!registry.find_task(name)) throw Error("flopwise run: --tasks " + name + ":" + std::to_string(k) + ": shot counts apply to tasks, not suites");
    const auto manifests = eval::load_dataset_manifests(p.locations.datasets_dir);
    eval::DataVerifier verifier(p.locations.data_dir);
    std::vector<eval::TaskPlan> plans;
    size_t documents = 0, requests = 0;
    for (const eval::TaskConfig* task : selection.tasks) {
        eval::PlanOptions task_options = p.options;
        if (const auto it = p.choice.shots.find(task->name); it != p.choice.shots.end()) {
            task_options.num_fewshot = it->second;
        } else if (p.options.num_fewshot && *p.options.num_fewshot > 0 && !task->fewshot) {
            // --num-fewshot is for the whole run; a task that cannot take examples (TruthfulQA's
            // preamble, perplexity) keeps its own setting, as --tasks NAME:K would not.
            std::fprintf(stderr, "note: %s has no few-shot source and runs %d-shot\n", task->name.c_str(), task->num_fewshot);
            task_options.num_fewshot = task->num_fewshot;
        }
        plans.push_back(eval::plan_task(*task, eval::find_manifest(manifests, task->dataset), verifier, task_options));
        documents += plans.back().documents.size();
        for (const auto& d : plans.back().documents) requests += d.requests.size();
    }
    std::fprintf(stderr, "%zu tasks, %zu documents, %zu requests; data verified in %s\n", plans.size(), documents, requests, p.locations.data_dir.c_str());
    return {std::move(plans), selection.groups};
}

// Prints the scores and writes the output files; the exit status says whether documents failed.
int report_run(const eval::Evaluation& evaluation, const eval::RunInfo& info, const std::optional<std::string>& output) {
    std::printf("%s", eval::summary_table(evaluation).c_str());
    int64_t failed = 0;
    for (const auto& t : evaluation.tasks) failed += t.failed_documents();
    if (failed > 0) std::printf("%lld documents failed (their requests returned errors); see the samples files\n", static_cast<long long>(failed));
    std::fprintf(stderr, "%lld requests: %lld computed, %lld from the cache, %lld shared between tasks; %s\n",
                 static_cast<long long>(evaluation.requests.total), static_cast<long long>(evaluation.requests.computed),
                 static_cast<long long>(evaluation.requests.from_cache), static_cast<long long>(evaluation.requests.reused),
                 eval::format_duration(evaluation.wall_seconds).c_str());
    if (!evaluation.backend_statistics.is_null()) std::fprintf(stderr, "%s\n", eval::backend_summary(evaluation).c_str());
    if (output) {
        eval::write_run_outputs(*output, evaluation, info);
        std::fprintf(stderr, "results: %s/results.json, samples: %s/samples/\n", output->c_str(), output->c_str());
    }
    return failed > 0 ? 1 : 0;
}

int run(Args& args) {
    eval::RunInfo info;
    info.flopwise_version = FLOPWISE_VERSION;
    info.command = {"flopwise", "run"};
    // Every flag given is recorded, so results.json says how the run was asked for.
    const auto note = [&](const std::string& flag, const auto& value) {
        if (!value) return;
        info.command.push_back("--" + flag);
        if constexpr (std::is_same_v<std::decay_t<decltype(*value)>, std::string>) info.command.push_back(*value);
        else info.command.push_back(std::to_string(*value));
    };
    const std::string spec = args.required("model");
    note("model", std::optional(spec));
    const std::vector<std::string> task_items = args.list("tasks");
    if (task_items.empty()) throw Error("flopwise run: missing required flag --tasks (task or suite names, comma-separated; see 'flopwise tasks')");
    std::string joined;
    for (const auto& t : task_items) joined += (joined.empty() ? "" : ",") + t;
    note("tasks", std::optional(joined));
    const TaskChoice choice = parse_tasks(task_items);

    eval::PlanOptions plan_options;
    plan_options.limit = optional_integer(args, "limit", 1, int64_t{1} << 40);
    note("limit", plan_options.limit);
    if (const auto k = optional_integer(args, "num-fewshot", 0, 1000)) plan_options.num_fewshot = static_cast<int32_t>(*k);
    note("num-fewshot", plan_options.num_fewshot);
    const auto seed = optional_integer(args, "seed", 0, INT64_MAX);
    note("seed", seed);
    plan_options.seed = static_cast<uint64_t>(seed.value_or(1234));

    eval::RunOptions& options = info.options;
    options.seed = plan_options.seed;
    const auto batch_size = optional_integer(args, "batch-size", 1, 1 << 20);
    note("batch-size", batch_size);
    options.batch_size = static_cast<size_t>(batch_size.value_or(32));
    const auto bootstrap = optional_integer(args, "bootstrap-iters", 0, 10000000);
    note("bootstrap-iters", bootstrap);
    options.bootstrap_iterations = static_cast<int>(bootstrap.value_or(10000));
    options.progress = progress_style(args.value("progress").value_or("auto"));
    const auto output = args.value("output");
    note("output", output);
    const auto cache = args.value("cache");
    note("cache", cache);
    const bool no_cache = args.flag("no-cache");
    if (no_cache) info.command.push_back("--no-cache");
    if (cache && no_cache) throw Error("flopwise run: --cache and --no-cache contradict each other");
    if (cache) options.cache_path = *cache;
    else if (output && !no_cache) options.cache_path = (std::filesystem::path(*output) / "requests.sqlite").string();

    const auto suites_dir = args.value("suites-dir"), datasets_dir = args.value("datasets-dir"), data_dir = args.value("data-dir");
    note("suites-dir", suites_dir);
    note("datasets-dir", datasets_dir);
    note("data-dir", data_dir);
    const bool mpi = args.flag("mpi");
    if (mpi) info.command.push_back("--mpi");
    const auto locations = eval::find_locations(suites_dir, datasets_dir, data_dir);
    const Engine::Options engine = engine_options(args);
    const RemoteOptions remote = remote_options(args);
    args.finish();
    for (const auto& word : remote_flags(remote)) info.command.push_back(word);
    if (is_local_model_spec(spec) && !remote_flags(remote).empty())
        throw Error("flopwise run: " + remote_flags(remote).front() + " applies to remote models (openai:, openai-chat:, anthropic:, openai-responses:), not to " + spec);
    // A remote backend works on one batch at a time; batches several times its concurrency keep
    // its connections busy while a few slow calls finish.
    if (!batch_size && !is_local_model_spec(spec)) options.batch_size = std::max<size_t>(options.batch_size, 4 * static_cast<size_t>(remote.max_concurrency));
    if (engine.threads > 0) note("threads", std::optional(engine.threads));
    if (engine.int8_activations) info.command.push_back("--int8-activations");
    if (engine.device != ComputeDevice::cpu) {
        info.command.push_back("--device");
        info.command.push_back(std::string(name(engine.device)));
    }

    info.limit = plan_options.limit;
    info.num_fewshot = plan_options.num_fewshot;
    info.task_num_fewshot = choice.shots;
    info.suites_dir = locations.suites_dir;
    info.data_dir = locations.data_dir;

    ModelOptions model_options;
    model_options.threads = engine.threads;
    model_options.batch_tokens = engine.batch_tokens;
    model_options.int8_activations = engine.int8_activations;
    model_options.device = engine.device;
    model_options.max_context = engine.max_context;
    model_options.remote = remote;

    const RunPlanning planning{choice, plan_options, locations};
    const int launched = scale::launched_ranks();
    if (!mpi && launched == 1) {
        info.threads = engine.threads > 0 ? engine.threads : static_cast<int32_t>(std::thread::hardware_concurrency());
        auto registry = eval::TaskRegistry::load(locations.suites_dir);
        auto [plans, groups] = plan_run(planning, registry);
        const auto model = open_language_model(spec, model_options);
        scale::recover_rank_caches(options.cache_path);
        return report_run(eval::evaluate(*model, std::move(plans), groups, options), info, output);
    }
    if (!scale::World::built_with_mpi())
        throw Error(mpi ? "flopwise run: --mpi: this flopwise was built without MPI (install openmpi-bin and libopenmpi-dev, then configure the build again)"
                        : "flopwise run: started by an MPI launcher as " + std::to_string(launched) +
                              " processes, but this flopwise was built without MPI, so each would run the whole evaluation (install "
                              "openmpi-bin and libopenmpi-dev, then configure the build again)");
    scale::World world;
    try {
        model_options = scale::rank_model_options(model_options, world.ranks_on_this_node(), world.size());
        info.threads = model_options.threads;
        if (world.rank() != 0) {
            // Only rank 0 reads the tasks and data; the others load the model meanwhile.
            const auto model = open_language_model(spec, model_options);
            scale::answer_share(world, *model, options.cache_path, model_options.threads);
            return 0;
        }
        auto registry = eval::TaskRegistry::load(locations.suites_dir);
        auto [plans, groups] = plan_run(planning, registry);
        const auto model = open_language_model(spec, model_options);
        scale::ShardedEvaluation sharded = scale::evaluate_sharded(world, *model, std::move(plans), groups, options, model_options.threads);
        info.ranks = nlohmann::ordered_json::array();
        for (const auto& r : sharded.ranks) {
            info.ranks.push_back(scale::to_json(r));
            std::fprintf(stderr, "rank %d (%s, %d thread%s): %lld batches, %lld requests, %lld tokens in %s: %.1f requests/s, %.0f tokens/s\n", r.rank,
                         r.host.c_str(), r.threads, r.threads == 1 ? "" : "s", static_cast<long long>(r.batches), static_cast<long long>(r.requests),
                         static_cast<long long>(r.tokens), eval::format_duration(r.seconds).c_str(),
                         r.seconds > 0 ? static_cast<double>(r.requests) / r.seconds : 0.0, r.seconds > 0 ? static_cast<double>(r.tokens) / r.seconds : 0.0);
        }
        return report_run(sharded.evaluation, info, output);
    } catch (const std::exception& e) {
        // A rank that fails ends the whole job (the launcher stops the others) rather than leave them waiting.
        std::fprintf(stderr, "error: rank %d of %d (%s): %s\n", world.rank(), world.size(), world.host().c_str(), e.what());
        std::fflush(stderr);
        world.abort(2);
    }
}

const CommandRegistration registration(
    {"run",
     "--model M --tasks T1,T2:K,SUITE [--num-fewshot K] [--limit N] [--seed S] [--threads T] [--int8-activations] [--device cpu|cuda] [--output DIR] [--data-dir D] [--cache F | "
     "--no-cache] [--batch-size N] [--bootstrap-iters B] [--progress auto|bar|lines|none] [--suites-dir D] [--datasets-dir D] [--mpi] "
     "[remote models: --base-url URL --api-key-env VAR --request-timeout S --max-concurrency N --rpm N --tpm N --max-retries N "
     "--retry-delay S --system-prompt TEXT --chat-fewshot turns|flat --card NAME --prices FILE]",
     "evaluate a model on tasks and suites; writes DIR/results.json and DIR/samples/<task>.jsonl (sharded over the ranks when "
     "started by mpirun or srun, or with --mpi)",
     run});

}  // namespace
}  // namespace flopwise::cli
