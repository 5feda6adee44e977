// Dataset manifests, the record formats, and hash verification of data files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "flopwise/error.hpp"
#include "flopwise/eval/dataset.hpp"
#include "test_env.hpp"

namespace flopwise::eval {
namespace {

std::string write(const std::string& dir, const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

SplitFormat format(const std::string& name) {
    SplitFormat f;
    f.format = name;
    return f;
}

TEST(Records, CsvQuotingTypesAndBom) {
    SplitFormat f = format("csv");
    f.types["answer"] = "int";
    const auto docs = read_records("\xEF\xBB\xBFq,a,answer\r\n\"x, \"\"quoted\"\"\",\"multi\nline\",2\nplain,b,0\n", f, "t.csv");
    ASSERT_EQ(docs.size(), 2u);
    EXPECT_EQ(docs[0]["q"], "x, \"quoted\"");
    EXPECT_EQ(docs[0]["a"], "multi\nline");
    EXPECT_EQ(docs[0]["answer"], 2);
    EXPECT_EQ(docs[1]["q"], "plain");
    EXPECT_NE(error_of([&] { read_records("q,answer\nx,1\ny,notanumber\n", f, "t.csv"); }).find("t.csv:3: column 'answer': 'notanumber' is not a valid int"),
              std::string::npos);
    EXPECT_NE(error_of([&] { read_records("q,a,answer\nx,1\n", f, "t.csv"); }).find("t.csv:2: 2 fields, the header has 3"), std::string::npos);
}

TEST(Records, LineRecordsAndJsonl) {
    SplitFormat f = format("line_records");
    f.fields = {"ctx", "label", "endings[2]"};
    f.types["label"] = "int";
    const auto docs = read_records("c1\n1\ne1\ne2\nc2\n0\ne3\ne4\n", f, "h.txt");
    ASSERT_EQ(docs.size(), 2u);
    EXPECT_EQ(docs[1]["ctx"], "c2");
    EXPECT_EQ(docs[1]["label"], 0);
    EXPECT_EQ(docs[1]["endings"], Doc::parse(R"(["e3", "e4"])"));
    EXPECT_NE(error_of([&] { read_records("c1\n1\ne1\n", f, "h.txt"); }).find("3 lines is not a whole number of 4-line records"), std::string::npos);

    const auto lines = read_records("{\"a\": 1}\n\n{\"a\": 2}\n", format("jsonl"), "d.jsonl");
    EXPECT_EQ(lines.size(), 2u);
    EXPECT_NE(error_of([&] { read_records("{\"a\": 1}\n{\"a\": \n", format("jsonl"), "d.jsonl"); }).find("d.jsonl:2: invalid JSON"), std::string::npos);
    // Key order is data (TruthfulQA's answers): it survives reading.
    const auto ordered = read_records(R"([{"t": {"z": 1, "a": 0}}])", format("json"), "m.json");
    EXPECT_EQ(ordered[0]["t"].begin().key(), "z");
}

TEST(Manifest, ErrorsNameFileLineAndField) {
    const std::string dir = test::temp_dir("manifest");
    const std::string bad_hash = write(dir, "a.yaml", "name: a\nsource: here\nfiles:\n  - name: x.jsonl\n    sha256: 1234\n    url: http://x/\nsplits:\n  test: {file: x.jsonl, format: jsonl}\n");
    EXPECT_NE(error_of([&] { load_dataset_manifest(bad_hash); }).find(bad_hash + ":5: file entry: field 'sha256': must be 64 lower-case hex digits"),
              std::string::npos)
        << error_of([&] { load_dataset_manifest(bad_hash); });
    const std::string sha(64, 'a');
    const std::string bad_format = write(dir, "b.yaml", "name: b\nsource: here\nbase_url: http://x/\nfiles:\n  - {name: x.jsonl, sha256: " + sha +
                                                            "}\nsplits:\n  test:\n    file: x.jsonl\n    format: parquet\n");
    EXPECT_NE(error_of([&] { load_dataset_manifest(bad_format); }).find(bad_format + ":9: dataset manifest: splits: test: field 'format': unknown format 'parquet'"),
              std::string::npos)
        << error_of([&] { load_dataset_manifest(bad_format); });
    const std::string unlisted = write(dir, "c.yaml", "name: c\nsource: here\nbase_url: http://x/\nfiles:\n  - {name: x.jsonl, sha256: " + sha +
                                                          "}\nsplits:\n  test: {file: y.jsonl, format: jsonl}\n");
    EXPECT_NE(error_of([&] { load_dataset_manifest(unlisted); }).find("does not list the file 'y.jsonl'"), std::string::npos);
    const std::string broken = write(dir, "d.yaml", "name: d\nfiles: [\n");
    EXPECT_NE(error_of([&] { load_dataset_manifest(broken); }).find(broken + ":3:1: malformed YAML"), std::string::npos)
        << error_of([&] { load_dataset_manifest(broken); });
}

TEST(Manifest, EveryShippedManifestLoadsAndItsFilesVerify) {
    const auto manifests = load_dataset_manifests(test::source_path("datasets"));
    EXPECT_GE(manifests.size(), 11u);
    DataVerifier verifier(test::shared_dir() + "/datasets");
    for (const auto& m : manifests)
        for (const auto& f : m.files) EXPECT_NO_THROW(verifier.verify(m, f.name)) << m.name << " " << f.name;
}

TEST(DataVerifier, MissingAndMismatchedFilesAreClearErrors) {
    const std::string data = test::temp_dir("data");
    const std::string manifest_dir = test::temp_dir("manifests");
    // sha256 of "{\"a\": 1}\n"
    const std::string good = "e8c628edc9968ef0c668f54e0ba2636b35503357eb1aca0ddc828aeace432f67";
    const std::string path = write(manifest_dir, "toy.yaml", "name: toy\nsource: test\nbase_url: http://127.0.0.1/\nfiles:\n  - {name: d.jsonl, sha256: " +
                                                                 good + "}\nsplits:\n  test: {file: d.jsonl, format: jsonl, records: 1}\n");
    const DatasetManifest m = load_dataset_manifest(path);
    DataVerifier verifier(data);
    const std::string missing = error_of([&] { load_split(m, "test", "", verifier); });
    EXPECT_NE(missing.find("dataset 'toy': file " + data + "/toy/d.jsonl is missing (get it with: flopwise datasets pull"), std::string::npos) << missing;
    write(data, "toy/d.jsonl", "{\"a\": 2}\n");
    const std::string mismatch = error_of([&] { load_split(m, "test", "", verifier); });
    EXPECT_NE(mismatch.find("has sha256 "), std::string::npos) << mismatch;
    EXPECT_NE(mismatch.find("but " + path + " expects " + good), std::string::npos) << mismatch;
    EXPECT_NE(error_of([&] { load_split(m, "train", "", verifier); }).find("has no split 'train' (splits: test)"), std::string::npos);
}

TEST(DataVerifier, JoinedLabelsAndSubsets) {
    DataVerifier verifier(test::shared_dir() + "/datasets");
    const auto piqa = load_dataset_manifest(test::source_path("datasets/piqa.yaml"));
    const auto split = load_split(piqa, "validation", "", verifier);
    ASSERT_EQ(split.docs.size(), 1838u);
    EXPECT_EQ(split.docs[0]["label"], 0);
    EXPECT_EQ(split.docs[1]["label"], 1);
    EXPECT_EQ(split.files.size(), 2u);
    const auto mmlu = load_dataset_manifest(test::source_path("datasets/mmlu.yaml"));
    EXPECT_EQ(load_split(mmlu, "dev", "anatomy", verifier).docs.size(), 5u);
    EXPECT_NE(error_of([&] { load_split(mmlu, "test", "", verifier); }).find("needs a subset"), std::string::npos);
    EXPECT_NE(error_of([&] { load_split(mmlu, "test", "astrology", verifier); }).find("does not list the file 'test/astrology_test.csv'"),
              std::string::npos);
}

}  // namespace
}  // namespace flopwise::eval
