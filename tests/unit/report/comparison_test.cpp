#include <gtest/gtest.h>

#include "flopwise/error.hpp"
#include "flopwise/report/comparison.hpp"
#include "run_builder.hpp"
#include "test_env.hpp"

using namespace flopwise;
using namespace flopwise::report;

TEST(Compare, PairsDocumentsAndReportsTheFlopsRatio) {
    const std::string root = test::temp_dir("report-compare");
    std::vector<double> b_piqa(60, 0.0);
    for (int i = 10; i < 40; ++i) b_piqa[static_cast<size_t>(i)] = 1.0;
    // B scored documents 5..24 of arc_easy only: pairing keeps the 15 shared ones.
    test::write_run(root + "/a", {"a", 2, 128, 1000}, {{"piqa", test::scores(60, 40)}, {"arc_easy", test::scores(20, 10)}, {"boolq", test::scores(5, 2)}});
    test::write_run(root + "/b", {"b", 4, 256, 1000}, {{"piqa", b_piqa}, {"arc_easy", test::scores(20, 5), 0, 5}});
    const auto a = gather_entries({root + "/a"}, {}, 2048);
    const auto b = gather_entries({root + "/b"}, {}, 2048);
    BootstrapOptions options;
    options.iterations = 1000;
    const RunComparison c = compare_runs(a.front(), b.front(), options);
    ASSERT_EQ(c.metrics.size(), 2u);
    const auto& piqa = c.metrics[0];
    EXPECT_EQ(piqa.task, "piqa");
    EXPECT_EQ(piqa.paired.test, "mcnemar_exact");
    EXPECT_EQ(piqa.paired.a_only, 10);  // docs 0..9
    EXPECT_EQ(piqa.paired.b_only, 0);
    EXPECT_NEAR(piqa.paired.difference, 10.0 / 60.0, 1e-12);
    EXPECT_DOUBLE_EQ(piqa.paired.p_value, mcnemar_exact_p(10, 0));
    const auto& arc = c.metrics[1];
    EXPECT_EQ(arc.paired.documents, 15);
    ASSERT_FALSE(arc.notes.empty());
    EXPECT_NE(arc.notes[0].find("paired over the 15 documents"), std::string::npos);
    EXPECT_NE(c.notes[0].find("task 'boolq' is only in"), std::string::npos);
    ASSERT_EQ(c.compute.size(), 2u);
    EXPECT_EQ(c.compute[0].kind, "analytic");
    EXPECT_LT(c.compute[0].ratio, 1.0);
    EXPECT_EQ(c.compute[1].kind, "counted");
    EXPECT_DOUBLE_EQ(c.compute[1].ratio, 0.5);
    const auto json = comparison_json(c);
    EXPECT_EQ(json["metrics"][0]["source"], "measured");
    EXPECT_NE(format_comparison(c).find("mcnemar_exact"), std::string::npos);
}

TEST(Compare, CommandErrorsNameTheProblem) {
    const std::string bin = test::binary_path("flopwise");
    const auto output_of = [&](const std::string& args) {
        try {
            test::run_command(bin + " " + args);
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(output_of("compare /nonexistent").find("name exactly two run directories"), std::string::npos);
    EXPECT_NE(output_of("compare /nonexistent/a /nonexistent/b").find("/nonexistent/a: not a run directory"), std::string::npos);
    EXPECT_NE(output_of("claim 'a is b'").find("expected '>=' or '>'"), std::string::npos);
    EXPECT_NE(output_of("report /nonexistent --bogus 1").find("unknown flag --bogus"), std::string::npos);
}
