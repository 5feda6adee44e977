#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "run_builder.hpp"
#include "test_env.hpp"

using namespace flopwise;

// The HTML report in headless Chromium (Selenium): console clean, sortable, one plot point per
// model, a hostile model name shown as text. The screenshot lands in the build tree for a person.
TEST(ReportInBrowser, SortsPlotsAndEscapes) {
    const std::string root = test::temp_dir("report-browser");
    const std::string hostile = "<script>alert(1)</script>";
    test::write_run(root + "/a", {"tiny-a", 2, 128, 1000}, {{"piqa", test::scores(50, 30)}, {"arc_easy", test::scores(50, 20)}});
    test::write_run(root + "/b", {"mid-b", 6, 512, 1000}, {{"piqa", test::scores(50, 40)}, {"arc_easy", test::scores(50, 31)}});
    test::write_run(root + "/c", {hostile, 4, 256, 1000}, {{"piqa", test::scores(50, 35)}, {"arc_easy", test::scores(50, 25)}});
    std::filesystem::create_directories(root + "/cards");
    std::ofstream(root + "/cards/ref-model.yaml") << R"(display_name: Ref Model
family: llama
baseline: true
architecture_source: test
architecture: {layers: 8, hidden_size: 1024, heads: 16, kv_heads: 4, head_dim: 64, vocab_size: 1000, ffn: {type: gated, size: 4096}, tied_embeddings: true}
published:
  - {task: piqa, metric: acc, value: 75.0, num_fewshot: 0, source: "https://example.org/ref"}
  - {task: arc_easy, metric: acc, value: 65.0, num_fewshot: 0, source: "https://example.org/ref"}
)";
    const std::string html = root + "/report.html";
    test::run_command("FLOPWISE_CARDS_DIR=" + root + "/cards " + test::binary_path("flopwise") + " report " + root + "/a " + root + "/b " + root +
                      "/c --baseline ref-model --claim 'tiny-a >= ref-model on piqa at <= 0.5x flops' --html " + html);
    const std::string screenshot = test::binary_path("test-artifacts/report-browser.png");
    const std::string out = test::run_command(test::python() + " " + test::source_path("tests/report/browser_check.py") + " " + html + " " + screenshot +
                                              " 4 '" + hostile + "'");
    EXPECT_NE(out.find("OK"), std::string::npos) << out;
    EXPECT_GT(std::filesystem::file_size(screenshot), 1000u);
}
