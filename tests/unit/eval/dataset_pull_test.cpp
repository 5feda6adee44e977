// `datasets pull` against a local HTTP server that serves ../shared/datasets (no internet here).
#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

#include "flopwise/eval/dataset_pull.hpp"
#include "flopwise/file_hash.hpp"
#include "test_env.hpp"

namespace flopwise::eval {
namespace {

// python3 -m http.server on a port the system picks, stopped (by its pid) when the test ends.
class LocalHttpServer {
public:
    explicit LocalHttpServer(const std::string& directory) {
        int out[2];
        if (pipe(out) != 0) throw std::runtime_error("pipe failed");
        pid_ = fork();
        if (pid_ == 0) {
            // The banner with the port goes to stdout (read below); the request log goes to stderr,
            // which must not be a pipe nobody reads.
            dup2(out[1], STDOUT_FILENO);
            const int null = open("/dev/null", O_WRONLY);
            dup2(null, STDERR_FILENO);
            close(out[0]);
            const std::string python = test::python();
            execl(python.c_str(), python.c_str(), "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", directory.c_str(),
                  static_cast<char*>(nullptr));
            _exit(127);
        }
        close(out[1]);
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        std::string line;
        char c;
        while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
        close(out[0]);
        const size_t at = line.find("port ");
        if (at == std::string::npos) throw std::runtime_error("http.server did not start: " + line);
        port_ = std::stoi(line.substr(at + 5));
    }
    ~LocalHttpServer() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
        }
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    pid_t pid_ = -1;
    int port_ = 0;
};

TEST(DatasetPull, DownloadsVerifiesAndSkipsWhatIsThere) {
    LocalHttpServer server(test::shared_dir() + "/datasets");
    const DatasetManifest piqa = load_dataset_manifest(test::source_path("datasets/piqa.yaml"));
    const std::string data = test::temp_dir("pull");
    const PullReport first = pull_dataset(piqa, data, server.url(), false, nullptr);
    EXPECT_TRUE(first.problems.empty()) << first.problems.front();
    EXPECT_EQ(first.downloaded, 2);
    for (const auto& f : piqa.files) EXPECT_EQ(sha256_file(data + "/piqa/" + f.name), f.sha256);
    const PullReport second = pull_dataset(piqa, data, server.url() + "/", false, nullptr);
    EXPECT_EQ(second.present, 2);
    EXPECT_EQ(second.downloaded, 0);

    // A local file with the wrong content is reported, and replaced only when asked.
    std::ofstream(data + "/piqa/valid-labels.lst") << "tampered\n";
    const PullReport tampered = pull_dataset(piqa, data, server.url(), false, nullptr);
    ASSERT_EQ(tampered.problems.size(), 1u);
    EXPECT_NE(tampered.problems[0].find("does not match the manifest's"), std::string::npos) << tampered.problems[0];
    const PullReport replaced = pull_dataset(piqa, data, server.url(), true, nullptr);
    EXPECT_TRUE(replaced.problems.empty());
    EXPECT_EQ(replaced.downloaded, 1);
}

TEST(DatasetPull, BadDownloadsLeaveNothingBehind) {
    LocalHttpServer server(test::shared_dir() + "/datasets");
    DatasetManifest m = load_dataset_manifest(test::source_path("datasets/piqa.yaml"));
    m.files[0].sha256 = std::string(64, '0');  // the served file will not match
    m.files[1].name = "no-such-file.lst";      // the server answers 404
    const std::string data = test::temp_dir("pull-bad");
    const PullReport report = pull_dataset(m, data, server.url(), false, nullptr);
    ASSERT_EQ(report.problems.size(), 2u);
    EXPECT_NE(report.problems[0].find("the manifest expects " + std::string(64, '0')), std::string::npos) << report.problems[0];
    EXPECT_NE(report.problems[1].find("download failed"), std::string::npos) << report.problems[1];
    EXPECT_FALSE(std::filesystem::exists(data + "/piqa/valid.jsonl"));
    EXPECT_FALSE(std::filesystem::exists(data + "/piqa/valid.jsonl.partial"));
}

}  // namespace
}  // namespace flopwise::eval
