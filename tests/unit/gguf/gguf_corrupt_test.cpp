#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "flopwise/error.hpp"
#include "flopwise/gguf.hpp"
#include "gguf_builder.hpp"
#include "test_env.hpp"

// Damaged GGUF files: every one must either open (and then describe memory inside the file) or
// throw flopwise::Error naming the file; nothing may crash, hang, over-allocate or read outside the
// map. This file is also built with AddressSanitizer and UBSan (test_gguf_sanitized), so it uses
// only the reader, the type table and tests/support.
namespace flopwise::gguf {
namespace {

using namespace test;  // the builder and the GGUF value type ids

std::string vocab_path() { return test::shared_dir() + "/tokenizer-vectors/ggml-vocab-gpt-2.gguf"; }

class CorruptGguf : public testing::Test {
protected:
    void SetUp() override { path_ = test::temp_dir("gguf-corrupt") + "/damaged.gguf"; }
    void TearDown() override { std::filesystem::remove_all(std::filesystem::path(path_).parent_path()); }

    // Opens `bytes` as a file; returns the error message, or "" when it opened. When it opens,
    // every tensor's bytes are read so that the sanitizer sees any pointer outside the map.
    std::string open_bytes(const std::vector<uint8_t>& bytes) {
        test::write_file(path_, bytes);
        return open_damaged();
    }

    // Opens the file at path_ as it is now; the same contract as open_bytes.
    std::string open_damaged() {
        try {
            auto file = File::open(path_);
            unsigned checksum = 0;
            for (const TensorInfo& t : file->tensors()) {
                EXPECT_LE(t.offset + t.size_bytes, file->file_size()) << t.name;
                for (uint64_t i = 0; i < t.size_bytes; i += 61) checksum += t.data[i];
                if (t.size_bytes) checksum += t.data[t.size_bytes - 1];
            }
            volatile unsigned sink = checksum;
            (void)sink;
            return "";
        } catch (const Error& e) {
            const std::string message = e.what();
            EXPECT_EQ(message.rfind(path_ + ": ", 0), 0u) << "message does not start with the path: " << message;
            return message;
        }
    }

    void expect_error(const std::vector<uint8_t>& bytes, const std::vector<std::string>& fragments) {
        const std::string message = open_bytes(bytes);
        ASSERT_FALSE(message.empty()) << "opened, expected an error with: " << fragments.front();
        for (const std::string& fragment : fragments)
            EXPECT_NE(message.find(fragment), std::string::npos) << "missing '" << fragment << "' in: " << message;
    }

    std::string path_;
};

size_t find(const std::vector<uint8_t>& bytes, std::string_view text) {
    auto it = std::search(bytes.begin(), bytes.end(), text.begin(), text.end());
    if (it == bytes.end()) throw std::runtime_error("test setup: '" + std::string(text) + "' not in file");
    return static_cast<size_t>(it - bytes.begin());
}

template <typename T>
void poke(std::vector<uint8_t>& bytes, size_t at, T value) {
    std::memcpy(bytes.data() + at, &value, sizeof value);
}

// A file with one tensor and nothing else, for tensor-table cases.
GgufBuilder one_tensor(TensorSpec spec) {
    GgufBuilder b;
    b.add_tensor(std::move(spec));
    return b;
}

TEST_F(CorruptGguf, EveryTruncationOfSampleFileFails) {
    const std::vector<uint8_t> full = test::sample_gguf().build();
    ASSERT_EQ(open_bytes(full), "");
    for (size_t length = 0; length < full.size(); ++length) {
        SCOPED_TRACE(length);
        EXPECT_NE(open_bytes(std::vector<uint8_t>(full.begin(), full.begin() + length)), "");
    }
}

TEST_F(CorruptGguf, TruncatedVocabFileFails) {
    const std::vector<uint8_t> full = test::read_file(vocab_path());
    ASSERT_EQ(open_bytes(full), "");
    std::vector<size_t> lengths;
    for (size_t length = 0; length < 1024; ++length) lengths.push_back(length);
    for (size_t length = 1024; length < full.size(); length += full.size() / 150) lengths.push_back(length);
    for (size_t length = full.size() - 64; length < full.size(); ++length) lengths.push_back(length);
    for (size_t length : lengths) {
        SCOPED_TRACE(length);
        const std::string message = open_bytes(std::vector<uint8_t>(full.begin(), full.begin() + length));
        // Only the padding after the metadata (less than the 32-byte alignment) may be cut away.
        if (length + 32 <= full.size()) {
            EXPECT_NE(message, "");
        }
    }
}

// The default model itself (about 250 MB, a 262k-entry vocabulary in its metadata): truncated
// throughout its header, metadata and tensor table and inside its tensor data, and with bytes
// overwritten in each region (in place in one full copy, each restored after its check).
TEST_F(CorruptGguf, RealModelTruncatedAndOverwritten) {
    const std::vector<uint8_t> full = test::read_file(test::model_path("gemma3-270m"));
    uint64_t data_start = full.size();
    {
        test::write_file(path_, full);
        auto file = File::open(path_);
        for (const TensorInfo& t : file->tensors()) data_start = std::min(data_start, t.offset);
    }
    const size_t table_start = find(full, "token_embd.weight") - sizeof(uint64_t);
    ASSERT_LT(table_start, data_start);

    std::vector<size_t> cuts;
    for (size_t length = 0; length < 64; ++length) cuts.push_back(length);
    for (size_t i = 1; i < 60; ++i) cuts.push_back(table_start * i / 60);                             // metadata
    for (size_t i = 0; i < 20; ++i) cuts.push_back(table_start + (data_start - table_start) * i / 20);  // tensor table
    for (size_t length : {data_start + 1, full.size() / 2, full.size() - 1}) cuts.push_back(length);    // tensor data
    for (size_t length : cuts) {
        SCOPED_TRACE("cut at " + std::to_string(length));
        EXPECT_NE(open_bytes(std::vector<uint8_t>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(length))), "");
    }

    std::vector<size_t> positions;
    for (size_t at = 0; at < 24; ++at) positions.push_back(at);                                             // header
    for (size_t i = 0; i < 40; ++i) positions.push_back(24 + (table_start - 24) * i / 40);               // metadata
    for (size_t i = 0; i < 40; ++i) positions.push_back(table_start + (data_start - table_start) * i / 40);  // tensor table
    test::write_file(path_, full);
    for (size_t i = 0; i < positions.size(); ++i) {
        const size_t at = positions[i];
        const uint8_t value = i % 2 ? uint8_t{0xFF} : static_cast<uint8_t>(full[at] ^ 0x80);
        SCOPED_TRACE("byte " + std::to_string(at) + " = " + std::to_string(value));
        std::FILE* f = std::fopen(path_.c_str(), "r+b");
        ASSERT_NE(f, nullptr);
        std::fseek(f, static_cast<long>(at), SEEK_SET);
        std::fputc(value, f);
        std::fflush(f);
        open_damaged();
        std::fseek(f, static_cast<long>(at), SEEK_SET);
        std::fputc(full[at], f);
        std::fclose(f);
    }
}

TEST_F(CorruptGguf, OverwrittenBytesOfSampleFile) {
    const std::vector<uint8_t> full = test::sample_gguf().build();
    for (size_t at = 0; at < full.size(); ++at) {
        for (uint8_t value : {uint8_t{0x00}, uint8_t{0xFF}, uint8_t{0x80}, static_cast<uint8_t>(full[at] ^ 1)}) {
            std::vector<uint8_t> damaged = full;
            damaged[at] = value;
            SCOPED_TRACE("byte " + std::to_string(at) + " = " + std::to_string(value));
            open_bytes(damaged);
        }
    }
}

TEST_F(CorruptGguf, HugeWordsInSampleFile) {
    const std::vector<uint8_t> full = test::sample_gguf().build();
    for (size_t at = 0; at + 8 <= full.size(); ++at) {
        for (uint64_t value : {~uint64_t{0}, uint64_t{1} << 62, uint64_t{0xFFFFFFFF}, uint64_t{0x7FFFFFFFFFFFFFFF}}) {
            std::vector<uint8_t> damaged = full;
            poke(damaged, at, value);
            SCOPED_TRACE("word at " + std::to_string(at));
            open_bytes(damaged);
        }
    }
}

TEST_F(CorruptGguf, HugeCountsInVocabFile) {
    const std::vector<uint8_t> full = test::read_file(vocab_path());
    const size_t tokens_key = find(full, "tokenizer.ggml.tokens");
    const size_t count_at = tokens_key + std::strlen("tokenizer.ggml.tokens") + 4 + 4;
    const size_t first_token_length_at = count_at + 8;

    std::vector<uint8_t> damaged = full;
    poke<uint64_t>(damaged, count_at, uint64_t{1} << 61);
    expect_error(damaged, {"metadata key 'tokenizer.ggml.tokens' at byte " + std::to_string(count_at),
                           "array of STRING length 2305843009213693952 needs at least 8 bytes each"});

    damaged = full;
    poke<uint64_t>(damaged, first_token_length_at, 0xFFFFFFFFull);
    expect_error(damaged, {"metadata key 'tokenizer.ggml.tokens' at byte " + std::to_string(first_token_length_at),
                           "string length 4294967295 exceeds the"});

    damaged = full;
    poke<uint64_t>(damaged, 16, ~uint64_t{0});  // metadata count
    expect_error(damaged, {"header at byte 16: metadata count 18446744073709551615 needs at least"});

    damaged = full;
    poke<uint64_t>(damaged, 16, 1000);  // more entries than the file holds
    open_bytes(damaged);
    damaged = full;
    poke<uint32_t>(damaged, count_at - 4, 99);  // element type of the token array
    expect_error(damaged, {"metadata key 'tokenizer.ggml.tokens'", "unknown value type id 99"});
}

TEST_F(CorruptGguf, ExactMessageForOverlongString) {
    GgufBuilder b;
    b.add_raw(ByteWriter()
                  .put_string("general.architecture")
                  .put<uint32_t>(kString)
                  .put<uint64_t>(0xFFFFFFFFull)
                  .append(std::vector<uint8_t>(12, 'x')));
    // 12 bytes of text and 20 of padding to the 32-byte alignment follow the length.
    EXPECT_EQ(open_bytes(b.build()), path_ + ": metadata key 'general.architecture' at byte 56: string length " +
                                         "4294967295 exceeds the 32 bytes left");
}

TEST_F(CorruptGguf, ExactMessageForDataPastTheEnd) {
    GgufBuilder b = one_tensor({"blk.0.attn_q.weight", {256}, 0 /*F32*/, std::vector<uint8_t>(1024), std::nullopt});
    std::vector<uint8_t> bytes = b.build();
    const size_t data_start = bytes.size() - 1024;
    bytes.erase(bytes.end() - 100, bytes.end());
    EXPECT_EQ(open_bytes(bytes), path_ + ": tensor 'blk.0.attn_q.weight': data [offset " + std::to_string(data_start) +
                                     ", 1024 bytes] runs past the end of the file (" + std::to_string(bytes.size()) +
                                     " bytes)");
}

TEST_F(CorruptGguf, HeaderProblems) {
    expect_error({}, {"file is empty"});
    expect_error({'G', 'G', 'U'}, {"magic (4 bytes) runs past the end of the file (3 bytes left)"});
    expect_error({'G', 'G', 'U', 'F', 3, 0}, {"version (4 bytes) runs past the end"});
    std::vector<uint8_t> not_gguf = test::sample_gguf().build();
    not_gguf[0] = 'X';
    expect_error(not_gguf, {"not a GGUF file"});

    GgufBuilder b = test::sample_gguf();
    b.version = 1;
    expect_error(b.build(), {"GGUF version 1 is not supported"});
    b.version = 4;
    expect_error(b.build(), {"unknown GGUF version 4"});
    b.version = 0x03000000;
    expect_error(b.build(), {"big-endian"});

    b = test::sample_gguf();
    b.tensor_count_override = uint64_t{1} << 60;
    expect_error(b.build(), {"header at byte 8: tensor count 1152921504606846976 needs at least"});
    b = test::sample_gguf();
    b.metadata_count_override = uint64_t{1} << 40;
    expect_error(b.build(), {"header at byte 16: metadata count"});
}

TEST_F(CorruptGguf, MetadataProblems) {
    auto with = [](const ByteWriter& entry) {
        GgufBuilder b;
        b.add_string("general.architecture", "x");
        b.add_raw(entry);
        return b.build();
    };
    expect_error(with(ByteWriter().put<uint64_t>(~uint64_t{0})), {"metadata entry 1 at byte", "string length 18446744073709551615"});
    expect_error(with(ByteWriter().put_string("k").put<uint32_t>(13)), {"metadata key 'k'", "unknown value type id 13"});
    expect_error(with(ByteWriter().put_string("k").put<uint32_t>(kBool).put<uint8_t>(2)), {"'k'", "BOOL value 2 is neither 0 nor 1"});
    expect_error(with(ByteWriter().put_string("k").put<uint32_t>(kArray).put<uint32_t>(kU32).put<uint64_t>(1000)),
                 {"'k'", "array of UINT32 length 1000 needs at least 4 bytes each"});
    expect_error(with(ByteWriter().put_string("k").put<uint32_t>(kArray).put<uint32_t>(77)), {"unknown value type id 77"});
    expect_error(with(ByteWriter().put_string("general.architecture").put<uint32_t>(kU8).put<uint8_t>(1)),
                 {"metadata key 'general.architecture'", "duplicate metadata key"});

    ByteWriter deep;
    deep.put_string("deep").put<uint32_t>(kArray);
    for (int level = 0; level < 100000; ++level) deep.put<uint32_t>(kArray).put<uint64_t>(1);
    expect_error(with(deep), {"'deep'", "arrays nested deeper than"});
}

TEST_F(CorruptGguf, AlignmentProblems) {
    for (uint32_t bad : {0u, 3u, 48u, 0x80000000u}) {
        GgufBuilder b;
        b.add_scalar<uint32_t>("general.alignment", kU32, bad);
        expect_error(b.build(), {"metadata key 'general.alignment': " + std::to_string(bad) + " is not a power of two"});
    }
    GgufBuilder b;
    b.add_string("general.alignment", "32");
    expect_error(b.build(), {"metadata key 'general.alignment' holds STRING"});
}

TEST_F(CorruptGguf, TensorTableProblems) {
    const std::vector<uint8_t> f32_data(64 * 4);
    expect_error(one_tensor({"t", {}, 0, {}, std::nullopt}).build(), {"tensor 't' at byte", "dimension count 0 is not between 1 and 4"});
    expect_error(one_tensor({"t", {1, 1, 1, 1, 64}, 0, f32_data, std::nullopt}).build(), {"dimension count 5"});
    expect_error(one_tensor({"t", {64, 0}, 0, {}, std::nullopt}).build(), {"tensor 't'", "dimension 1 is 0"});
    expect_error(one_tensor({"t", {uint64_t{1} << 32, uint64_t{1} << 32}, 0, {}, std::nullopt}).build(),
                 {"tensor 't'", "element count overflows 63 bits at dimension 1"});
    expect_error(one_tensor({"t", {uint64_t{1} << 62}, 0, {}, std::nullopt}).build(),
                 {"tensor 't'", "data size of 4611686018427387904 F32 elements overflows 64 bits"});
    expect_error(one_tensor({"blk.0.attn_q.weight", {256}, 16, std::vector<uint8_t>(66), std::nullopt}).build(),
                 {"tensor 'blk.0.attn_q.weight' at byte", "type id 16 (IQ2_XXS) is not supported"});
    expect_error(one_tensor({"t", {64}, 1000, f32_data, std::nullopt}).build(), {"type id 1000 (unknown type id 1000) is not supported"});
    expect_error(one_tensor({"t", {100, 2}, 12, std::vector<uint8_t>(288), std::nullopt}).build(),
                 {"tensor 't'", "row length 100 is not a multiple of the Q4_K block size 256"});
    expect_error(one_tensor({"t", {64}, 0, f32_data, uint64_t{16}}).build(),
                 {"tensor 't': data offset 16 is not a multiple of the alignment 32"});
    expect_error(one_tensor({"t", {64}, 0, f32_data, ~uint64_t{0} - 31}).build(), {"tensor 't'", "runs past the end of the file"});
    expect_error(one_tensor({"t", {uint64_t{1} << 40}, 0, f32_data, std::nullopt}).build(), {"tensor 't'", "runs past the end of the file"});

    GgufBuilder duplicate;
    duplicate.add_tensor({"same", {64}, 0, f32_data, std::nullopt});
    duplicate.add_tensor({"same", {64}, 0, f32_data, std::nullopt});
    expect_error(duplicate.build(), {"tensor 'same'", "duplicate tensor name"});

    GgufBuilder overlapping;
    overlapping.add_tensor({"first", {64}, 0, f32_data, uint64_t{0}});
    overlapping.add_tensor({"second", {64}, 0, f32_data, uint64_t{128}});
    expect_error(overlapping.build(), {"tensor 'second': data at offset", "overlaps tensor 'first'"});

    std::vector<uint8_t> long_name = one_tensor({"t", {64}, 0, f32_data, std::nullopt}).build();
    poke<uint64_t>(long_name, find(long_name, "t\x01") - 8, uint64_t{1} << 50);
    expect_error(long_name, {"tensor info 0 at byte 24: string length 1125899906842624 exceeds the"});
}

TEST_F(CorruptGguf, PathsThatAreNotFiles) {
    for (const std::string& bad : {path_ + ".missing", std::filesystem::path(path_).parent_path().string()}) {
        try {
            File::open(bad);
            ADD_FAILURE() << "opened " << bad;
        } catch (const Error& e) {
            EXPECT_EQ(std::string(e.what()).rfind(bad + ": ", 0), 0u) << e.what();
        }
    }
}

}  // namespace
}  // namespace flopwise::gguf
