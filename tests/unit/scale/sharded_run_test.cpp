// `mpirun -np N flopwise run` on the real model and real data: results and samples identical to
// one process, log-probs identical in any batching across ranks, a killed rank stops the job
// with a message naming it (no hang), and a rerun resumes from the rank caches.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "flopwise/eval/request_cache.hpp"
#include "flopwise/scale/rank_cache.hpp"
#include "flopwise/scale/world.hpp"
#include "test_env.hpp"

namespace flopwise::scale {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

struct Outcome {
    int exit_code = -1;  // 128 + signal when killed by one
    bool timed_out = false;
    std::string errors;  // standard error
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs a shell command in its own process group, calling `meanwhile` every 50 ms; a command still
// running after `timeout` is killed (with its group) and reported as timed out.
Outcome run_with_timeout(const std::string& command, std::chrono::seconds timeout, const std::function<void()>& meanwhile = {}) {
    const std::string errors = test::temp_dir("stderr") + "/stderr.txt";
    const std::string shell = command + " > /dev/null 2> " + errors;
    const pid_t child = fork();
    if (child == 0) {
        setpgid(0, 0);
        execl("/bin/sh", "sh", "-c", shell.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    Outcome outcome;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (waitpid(child, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill(-child, SIGKILL);
            waitpid(child, &status, 0);
            outcome.timed_out = true;
            break;
        }
        if (meanwhile) meanwhile();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    outcome.errors = read_file(errors);
    return outcome;
}

// The process of rank `rank` of the job writing to `output`, or 0.
pid_t find_rank(const std::string& output, int rank) {
    const std::string wanted = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string command_line = read_file(entry.path().string() + "/cmdline");
        std::replace(command_line.begin(), command_line.end(), '\0', ' ');
        if (command_line.find("flopwise run") == std::string::npos || command_line.find(output) == std::string::npos) continue;
        std::string environment = read_file(entry.path().string() + "/environ");
        std::replace(environment.begin(), environment.end(), '\0', '\n');
        if (("\n" + environment).find("\n" + wanted + "\n") != std::string::npos) return static_cast<pid_t>(std::stol(name));
    }
    return 0;
}

// results.json without what may differ between equivalent runs: the time it was written, the
// machine (and ranks), the seconds taken, and the output folder (each run here writes its own).
Json comparable_results(const std::string& output) {
    Json j = Json::parse(read_file(output + "/results.json"));
    j.erase("created_utc");
    j.erase("machine");
    j["totals"].erase("wall_seconds");
    for (auto& [name, task] : j["tasks"].items()) task.erase("wall_seconds");
    for (auto& word : j["command"])
        if (word == output) word = "OUT";
    j["settings"]["cache"] = "OUT/requests.sqlite";
    return j;
}

// Every request's log-probabilities and greedy flag, per task, as exact text of the doubles' bits.
std::map<std::string, std::vector<std::string>> scores_bits(const std::string& output) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& entry : fs::directory_iterator(output + "/samples")) {
        std::ifstream in(entry.path());
        std::string line;
        auto& bits = out[entry.path().filename().string()];
        while (std::getline(in, line))
            for (const auto& request : Json::parse(line)["requests"]) {
                const auto& response = request["response"];
                std::string text = response["greedy"].dump();
                for (const auto& v : response["token_logprobs"]) {
                    text += ' ';
                    if (!v.is_number()) {
                        text += v.get<std::string>();  // "-inf"
                        continue;
                    }
                    const double d = v.get<double>();
                    uint64_t b;
                    std::memcpy(&b, &d, sizeof b);
                    text += std::to_string(b);
                }
                bits.push_back(text);
            }
    }
    return out;
}

#ifdef FLOPWISE_MPIEXEC

class ShardedRun : public ::testing::Test {
protected:
    static const std::string& model() {
        static const std::string path = test::model_path("gemma3-270m");
        return path;
    }
    // One process's run, made once per test process (CTest runs each test in a process of its own).
    static const std::string& reference() {
        static const std::string output = [] {
            const std::string dir = test::temp_dir("one-process");
            const Outcome one = run_with_timeout(flopwise(dir), std::chrono::seconds(600));
            if (one.exit_code != 0) throw std::runtime_error("the one-process run failed:\n" + one.errors);
            return dir;
        }();
        return output;
    }

    // The same run every test makes: two task families, a few documents each, one thread.
    static std::string flopwise(const std::string& output, const std::string& batch_size = "1") {
        return test::binary_path("flopwise") + " run --model " + model() + " --tasks arc_easy,hellaswag --limit 6 --threads 1 --batch-size " + batch_size +
               " --bootstrap-iters 200 --progress lines --output " + output;
    }
    static std::string mpirun(int ranks) {
        return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " + std::string(FLOPWISE_MPIEXEC) + " --oversubscribe -np " +
               std::to_string(ranks) + " ";
    }
    static void expect_same_as_one_process(const std::string& output) {
        EXPECT_EQ(comparable_results(output).dump(1), comparable_results(reference()).dump(1));
        for (const char* task : {"arc_easy", "hellaswag"}) {
            const std::string samples = std::string("/samples/") + task + ".jsonl";
            EXPECT_EQ(read_file(output + samples), read_file(reference() + samples)) << samples;
        }
    }

};

TEST_F(ShardedRun, TwoAndFourRanksWriteWhatOneProcessWrites) {
    // The plain run stayed one process: no MPI, no ranks.
    EXPECT_FALSE(Json::parse(read_file(reference() + "/results.json"))["machine"].contains("ranks"));
    for (int ranks : {2, 4}) {
        const std::string output = test::temp_dir("ranks" + std::to_string(ranks));
        const Outcome run = run_with_timeout(mpirun(ranks) + flopwise(output), std::chrono::seconds(600));
        ASSERT_EQ(run.exit_code, 0) << run.errors;
        SCOPED_TRACE(std::to_string(ranks) + " ranks");
        expect_same_as_one_process(output);
        // One progress line for the job, per-rank throughput at the end and in results.json.
        EXPECT_NE(run.errors.find(std::to_string(ranks) + " ranks: 48/48 requests (100.0%)"), std::string::npos) << run.errors;
        const Json ranks_json = Json::parse(read_file(output + "/results.json"))["machine"]["ranks"];
        ASSERT_EQ(ranks_json.size(), static_cast<size_t>(ranks));
        int64_t requests = 0;
        for (int r = 0; r < ranks; ++r) {
            EXPECT_EQ(ranks_json[r]["rank"], r);
            EXPECT_NE(run.errors.find("rank " + std::to_string(r) + " ("), std::string::npos) << run.errors;
            requests += ranks_json[r]["requests"].get<int64_t>();
        }
        EXPECT_EQ(requests, 48);
        // The rank caches were merged into the run's cache and removed.
        EXPECT_EQ(eval::RequestCache(output + "/requests.sqlite").size(), 48);
        EXPECT_FALSE(fs::exists(rank_cache_path(output + "/requests.sqlite", 1)));
    }
}

TEST_F(ShardedRun, LogProbsAreTheSameBitsInAnyBatchingOnAnyNumberOfRanks) {
    const auto alone = scores_bits(reference());  // one process, each document alone
    ASSERT_EQ(alone.size(), 2u);
    const std::string batches_of_7 = test::temp_dir("batch7"), batches_of_64 = test::temp_dir("batch64");
    const Outcome seven = run_with_timeout(mpirun(4) + flopwise(batches_of_7, "7"), std::chrono::seconds(600));
    ASSERT_EQ(seven.exit_code, 0) << seven.errors;
    EXPECT_EQ(scores_bits(batches_of_7), alone) << "4 ranks, batches of 7";
    const Outcome sixty_four = run_with_timeout(mpirun(2) + flopwise(batches_of_64, "64"), std::chrono::seconds(600));
    ASSERT_EQ(sixty_four.exit_code, 0) << sixty_four.errors;
    EXPECT_EQ(scores_bits(batches_of_64), alone) << "2 ranks, batches of 64";
}

TEST_F(ShardedRun, AKilledRankStopsTheJobNamingItAndTheRerunResumes) {
    const std::string output = test::temp_dir("killed");
    const std::string rank_cache = rank_cache_path(output + "/requests.sqlite", 1);
    pid_t killed = 0;
    int64_t answered_before = 0;
    const Outcome run = run_with_timeout(mpirun(2) + flopwise(output), std::chrono::seconds(300), [&] {
        if (killed || !fs::exists(rank_cache)) return;
        const int64_t answered = eval::RequestCache(rank_cache).size();
        const pid_t rank1 = answered > 0 ? find_rank(output, 1) : 0;
        if (rank1 == 0) return;
        answered_before = answered;
        killed = rank1;
        kill(rank1, SIGKILL);
    });
    ASSERT_NE(killed, 0) << "rank 1 was never seen answering: " << run.errors;
    EXPECT_FALSE(run.timed_out) << "the job hung after rank 1 was killed";
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.errors.find("rank 1"), std::string::npos) << run.errors;
    EXPECT_NE(run.errors.find("Killed"), std::string::npos) << run.errors;
    EXPECT_FALSE(fs::exists(output + "/results.json"));

    // The rerun takes what both ranks had finished and computes only the rest.
    const Outcome resumed = run_with_timeout(mpirun(2) + flopwise(output), std::chrono::seconds(600));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.errors;
    const Json counts = Json::parse(read_file(output + "/results.json"))["totals"]["requests"];
    EXPECT_GE(counts["from_cache"].get<int64_t>(), answered_before);
    EXPECT_EQ(counts["from_cache"].get<int64_t>() + counts["computed"].get<int64_t>(), 48);
    EXPECT_GT(counts["computed"].get<int64_t>(), 0);
    for (const char* task : {"arc_easy", "hellaswag"}) {
        const std::string samples = std::string("/samples/") + task + ".jsonl";
        EXPECT_EQ(read_file(output + samples), read_file(reference() + samples)) << samples;
    }
    // Once complete, a rerun (here in one process) computes nothing and writes what one
    // uninterrupted process wrote.
    const Outcome again = run_with_timeout(flopwise(output), std::chrono::seconds(300));
    ASSERT_EQ(again.exit_code, 0) << again.errors;
    Json results = comparable_results(output), uninterrupted = comparable_results(reference());
    EXPECT_EQ(results["totals"]["requests"]["computed"], 0);
    EXPECT_EQ(results["totals"]["requests"]["from_cache"], 48);
    for (Json* j : {&results, &uninterrupted}) {
        (*j)["totals"].erase("requests");
        for (auto& [name, task] : (*j)["tasks"].items()) task.erase("requests");
    }
    EXPECT_EQ(results.dump(1), uninterrupted.dump(1));
}

TEST_F(ShardedRun, ARankWithAnotherModelStopsTheJobNamingTheRank) {
    const std::string output = test::temp_dir("mixed");
    const std::string other = test::binary_path("flopwise") + " run --model " + test::model_path("smollm2-135m") +
                              " --tasks arc_easy --limit 2 --threads 1 --output " + output;
    const std::string first = test::binary_path("flopwise") + " run --model " + model() + " --tasks arc_easy --limit 2 --threads 1 --output " + output;
    const Outcome run = run_with_timeout(mpirun(1) + first + " : -np 1 " + other, std::chrono::seconds(120));
    EXPECT_FALSE(run.timed_out);
    EXPECT_EQ(run.exit_code, 2) << run.errors;
    EXPECT_NE(run.errors.find("error: rank 1 of 2"), std::string::npos) << run.errors;
    EXPECT_NE(run.errors.find("is not the model rank 0 opened"), std::string::npos) << run.errors;
}

#else

TEST(ShardedRunWithoutMpi, AskingForMpiSaysItIsMissing) {
    ASSERT_FALSE(World::built_with_mpi());
    const std::string output = test::temp_dir("no-mpi");
    const Outcome run = run_with_timeout(test::binary_path("flopwise") + " run --model " + test::model_path("gemma3-270m") +
                                             " --tasks arc_easy --limit 2 --mpi --output " + output,
                                         std::chrono::seconds(60));
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.errors.find("--mpi: this flopwise was built without MPI"), std::string::npos) << run.errors;
}

#endif

}  // namespace
}  // namespace flopwise::scale
