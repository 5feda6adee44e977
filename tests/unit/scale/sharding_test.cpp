// How work is shared among ranks, where rank caches live and how they are merged, how the MPI
// launch is recognised.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "flopwise/error.hpp"
#include "flopwise/eval/request_cache.hpp"
#include "flopwise/scale/launch.hpp"
#include "flopwise/scale/rank_cache.hpp"
#include "flopwise/scale/sharding.hpp"
#include "test_env.hpp"

namespace flopwise::scale {
namespace {

TEST(Sharding, EveryItemGoesToExactlyOneRankInItsOriginalOrder) {
    std::vector<int64_t> costs;
    for (int i = 0; i < 101; ++i) costs.push_back((i * 37) % 53 + 1);
    for (int ranks : {1, 2, 3, 4, 8, 200}) {
        const auto shares = shard_by_cost(costs, ranks);
        ASSERT_EQ(shares.size(), static_cast<size_t>(ranks));
        std::vector<int> seen(costs.size(), 0);
        for (const auto& share : shares) {
            EXPECT_TRUE(std::is_sorted(share.begin(), share.end()));
            for (size_t item : share) ++seen[item];
        }
        for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 1) << "item " << i << " with " << ranks << " ranks";
        EXPECT_EQ(shard_by_cost(costs, ranks), shares) << "the split must not change from one call to the next";
    }
}

TEST(Sharding, LoadsAreBalancedByCost) {
    // One large item and many small ones: the large one gets a rank nearly to itself.
    std::vector<int64_t> costs = {1000};
    for (int i = 0; i < 300; ++i) costs.push_back(10);
    const auto shares = shard_by_cost(costs, 4);
    std::vector<int64_t> loads;
    for (const auto& share : shares) {
        int64_t load = 0;
        for (size_t item : share) load += costs[item];
        loads.push_back(load);
    }
    const auto [lightest, heaviest] = std::minmax_element(loads.begin(), loads.end());
    EXPECT_LE(*heaviest - *lightest, 10);  // within the largest item placed last
    EXPECT_EQ(std::accumulate(loads.begin(), loads.end(), int64_t{0}), 4000);
}

TEST(Sharding, MoreRanksThanWorkLeavesSomeIdleAndNoRanksIsAnError) {
    const auto shares = shard_by_cost({5, 7}, 4);
    EXPECT_EQ(shares[0], std::vector<size_t>{1});
    EXPECT_EQ(shares[1], std::vector<size_t>{0});
    EXPECT_TRUE(shares[2].empty() && shares[3].empty());
    EXPECT_THROW(shard_by_cost({1}, 0), Error);
}

TEST(RankCache, FilesSitBesideTheRunsCacheAndMergeIntoIt) {
    const std::string dir = test::temp_dir("rank-cache");
    const std::string main = dir + "/requests.sqlite";
    EXPECT_EQ(rank_cache_path(main, 3), dir + "/requests.rank3.sqlite");
    EXPECT_EQ(rank_cache_path("cache", 1), "cache.rank1");
    const auto entry = [](const std::string& key) {
        return eval::RequestCache::Entry{key, "loglikelihood", {{"context", key}}, {{"logprob", -1.5}}};
    };
    eval::RequestCache(main).store({entry("a")});
    eval::RequestCache(rank_cache_path(main, 1)).store({entry("a"), entry("b")});
    eval::RequestCache(rank_cache_path(main, 2)).store({entry("c")});
    // Files that only look similar are left alone.
    eval::RequestCache(dir + "/requests.rankX.sqlite").store({entry("x")});
    eval::RequestCache(dir + "/other.rank1.sqlite").store({entry("y")});

    EXPECT_EQ(merge_rank_caches(main), 2);  // b and c are new; a was there
    eval::RequestCache merged(main);
    EXPECT_EQ(merged.size(), 3);
    EXPECT_EQ(merged.find("b")->at("logprob"), -1.5);
    EXPECT_FALSE(merged.find("x"));
    EXPECT_FALSE(std::filesystem::exists(rank_cache_path(main, 1)));
    EXPECT_FALSE(std::filesystem::exists(rank_cache_path(main, 2)));
    EXPECT_TRUE(std::filesystem::exists(dir + "/requests.rankX.sqlite"));
    EXPECT_TRUE(std::filesystem::exists(dir + "/other.rank1.sqlite"));
    EXPECT_EQ(merge_rank_caches(main), 0);
}

TEST(RankCache, AFileThatIsNotACacheIsAnError) {
    const std::string dir = test::temp_dir("rank-cache-bad");
    std::filesystem::create_directories(dir);
    { std::ofstream(dir + "/requests.rank1.sqlite") << "not a database, just text that is long enough to be read as a header......"; }
    try {
        merge_rank_caches(dir + "/requests.sqlite");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("requests.rank1.sqlite"), std::string::npos) << e.what();
    }
}

// The launcher's variables, set for one test and restored after it.
class LauncherEnvironment : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* name : names_)
            if (const char* value = std::getenv(name)) saved_.emplace_back(name, value);
        for (const char* name : names_) unsetenv(name);
    }
    void TearDown() override {
        for (const char* name : names_) unsetenv(name);
        for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
    }
    const std::vector<const char*> names_ = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "SLURM_STEP_NUM_TASKS"};
    std::vector<std::pair<std::string, std::string>> saved_;
};

TEST_F(LauncherEnvironment, RanksComeFromWhicheverLauncherStartedTheProcess) {
    EXPECT_EQ(launched_ranks(), 1);
    setenv("SLURM_STEP_NUM_TASKS", "8", 1);
    EXPECT_EQ(launched_ranks(), 1) << "srun without an MPI plugin starts independent processes";
    setenv("PMIX_RANK", "0", 1);
    EXPECT_EQ(launched_ranks(), 8);
    setenv("PMI_SIZE", "6", 1);
    EXPECT_EQ(launched_ranks(), 6);
    setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
    EXPECT_EQ(launched_ranks(), 4);
    setenv("OMPI_COMM_WORLD_SIZE", "four", 1);
    EXPECT_EQ(launched_ranks(), 6);
}

TEST(Threads, EachRankGetsItsShareOfTheCoresUnlessChosen) {
    EXPECT_GE(threads_per_rank(1), threads_per_rank(2));
    EXPECT_EQ(threads_per_rank(1 << 20), 1);
    ModelOptions chosen;
    chosen.threads = 3;
    EXPECT_EQ(rank_model_options(chosen, 4, 4).threads, 3);
    EXPECT_EQ(rank_model_options(ModelOptions{}, 1 << 20, 1 << 20).threads, 1);
}

TEST(RateLimits, TheJobsLimitIsSharedByItsRanks) {
    ModelOptions job;
    job.remote.requests_per_minute = 600;
    job.remote.tokens_per_minute = 90000;
    const ModelOptions rank = rank_model_options(job, 2, 4);
    EXPECT_DOUBLE_EQ(rank.remote.requests_per_minute, 150);
    EXPECT_DOUBLE_EQ(rank.remote.tokens_per_minute, 22500);
    EXPECT_DOUBLE_EQ(rank_model_options(ModelOptions{}, 2, 4).remote.requests_per_minute, 0);  // 0 stays "no limit"
}

}  // namespace
}  // namespace flopwise::scale
