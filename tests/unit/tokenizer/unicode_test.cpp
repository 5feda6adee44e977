// UTF-8 decoding, GPT-2's byte characters and NFC normalization (checked against Python's
// unicodedata, which the tables are generated from).
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "../../../src/tokenizer/byte_level.hpp"
#include "../../../src/tokenizer/unicode_nfc.hpp"
#include "../../../src/tokenizer/utf8.hpp"
#include "test_env.hpp"

namespace flopwise {
namespace {

TEST(Utf8, DecodesValidAndFlagsInvalidSequences) {
    EXPECT_EQ(utf8::decode("A", 0).code_point, U'A');
    const utf8::Decoded e_acute = utf8::decode("\xC3\xA9", 0);
    EXPECT_TRUE(e_acute.valid);
    EXPECT_EQ(e_acute.code_point, U'\u00E9');
    EXPECT_EQ(e_acute.length, 2u);
    EXPECT_EQ(utf8::decode("\xF0\x9F\xA6\x99", 0).code_point, U'\U0001F999');
    for (const char* bad : {"\xC0\xAF", "\xE0\x80\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xC3", "\x80", "\xFF"}) {
        const utf8::Decoded d = utf8::decode(bad, 0);
        EXPECT_FALSE(d.valid) << bad;
        EXPECT_EQ(d.length, 1u) << bad;
    }
    std::string out;
    for (char32_t cp : {U'a', U'\u00E9', U'\u20AC', U'\U0001F999'}) utf8::append(out, cp);
    EXPECT_EQ(out, "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\xA6\x99");
}

TEST(ByteLevel, IsABijectionOntoPrintableCharacters) {
    std::set<char32_t> seen;
    for (int b = 0; b < 256; ++b) {
        const char32_t cp = byte_level::byte_to_code_point(static_cast<uint8_t>(b));
        EXPECT_TRUE(seen.insert(cp).second) << b;
        EXPECT_EQ(byte_level::code_point_to_byte(cp), b);
        EXPECT_FALSE(cp <= 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD) << "byte " << b << " maps to an invisible";
    }
    EXPECT_EQ(byte_level::byte_to_code_point(' '), U'\u0120');   // "Ġ"
    EXPECT_EQ(byte_level::byte_to_code_point('\n'), U'\u010A');  // "Ċ"
    EXPECT_EQ(byte_level::byte_to_code_point('A'), U'A');
    EXPECT_EQ(byte_level::code_point_to_byte(U'\u4E00'), -1);
    std::string all;
    for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
    EXPECT_EQ(byte_level::decode(byte_level::encode(all)), all);
    EXPECT_EQ(byte_level::encode(" hi\n"), "\xC4\xA0hi\xC4\x8A");
}

TEST(Nfc, ComposesReordersAndKeepsWhatIsAlreadyComposed) {
    EXPECT_EQ(unicode::to_nfc("plain ASCII"), "plain ASCII");
    EXPECT_EQ(unicode::to_nfc("e\xCC\x81"), "\xC3\xA9");                           // e + acute -> é
    EXPECT_EQ(unicode::to_nfc("\xC3\xA9"), "\xC3\xA9");
    EXPECT_EQ(unicode::to_nfc("a\xCC\x88\xCC\x84"), "\xC7\x9F");                   // a + diaeresis + macron -> ǟ
    EXPECT_EQ(unicode::to_nfc("q\xCC\x87\xCC\xA3"), "q\xCC\xA3\xCC\x87");          // dot below sorts before dot above
    EXPECT_EQ(unicode::to_nfc("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"), "\xEA\xB0\x81");  // Hangul L V T -> 각
    EXPECT_EQ(unicode::to_nfc("\xE2\x84\xAB"), "\xC3\x85");                        // Angstrom sign -> Å (singleton)
    EXPECT_EQ(unicode::to_nfc("\xCC\x81" "a"), "\xCC\x81" "a");                    // a leading mark stays
    EXPECT_EQ(unicode::to_nfc("\xEF\xAC\x81"), "\xEF\xAC\x81");                    // ﬁ is a compatibility form
    EXPECT_EQ(unicode::to_nfc("e\xFF\xCC\x81"), "e\xFF\xCC\x81");                  // invalid byte blocks composition
    EXPECT_EQ(unicode::canonical_combining_class(U'\u0301'), 230);
    EXPECT_EQ(unicode::canonical_combining_class(U'a'), 0);
}

// Every code point with a canonical decomposition, decomposed and recomposed, plus mark sequences
// that need reordering, against Python's unicodedata.normalize.
TEST(Nfc, AgreesWithPythonOnEveryDecomposableCharacter) {
    const std::string dir = test::temp_dir("nfc");
    const std::string script = dir + "/cases.py";
    {
        std::ofstream out(script);
        out << "import sys, unicodedata\n"
               "cases = []\n"
               "for cp in range(0x110000):\n"
               "    if 0xD800 <= cp <= 0xDFFF: continue\n"
               "    c = chr(cp)\n"
               "    d = unicodedata.decomposition(c)\n"
               "    if d and not d.startswith('<'):\n"
               "        cases.append(c)\n"
               "        cases.append(unicodedata.normalize('NFD', c))\n"
               "        cases.append(unicodedata.normalize('NFD', c)[::-1])\n"
               "marks = ['\\u0301', '\\u0323', '\\u0308', '\\u0304', '\\u031b', '\\u0345', '\\u05b0', '\\u0e38', '\\u3099']\n"
               "for base in 'aeouAOUnsy\\u03b1\\u03c9\\u1100\\u304b':\n"
               "    for m1 in marks:\n"
               "        for m2 in marks:\n"
               "            cases.append(base + m1 + m2)\n"
               "cases.append('\\u1100\\u1161\\u11a8\\uac00\\u11a8\\u1161\\u11a7')\n"
               "with open(sys.argv[1], 'w', encoding='utf-8') as f:\n"
               "    for c in cases:\n"
               "        f.write(c.encode('unicode_escape').decode('ascii') + '\\t' +\n"
               "                unicodedata.normalize('NFC', c).encode('unicode_escape').decode('ascii') + '\\n')\n"
               "    f.write('# ' + unicodedata.unidata_version + '\\n')\n";
    }
    const std::string cases_path = dir + "/cases.tsv";
    test::run_command(test::python() + " " + script + " " + cases_path);

    // Undoes Python's unicode_escape for the escapes it produces (\\xNN, \\uNNNN, \\UNNNNNNNN, \\t, \\n, \\\\).
    const auto unescape = [](const std::string& s) {
        std::string out;
        for (size_t i = 0; i < s.size(); ++i) {
            if (s[i] != '\\') {
                out += s[i];
                continue;
            }
            const char kind = s[++i];
            const size_t digits = kind == 'x' ? 2 : kind == 'u' ? 4 : kind == 'U' ? 8 : 0;
            if (digits == 0) {
                out += kind == 't' ? '\t' : kind == 'n' ? '\n' : kind;
                continue;
            }
            utf8::append(out, static_cast<char32_t>(std::stoul(s.substr(i + 1, digits), nullptr, 16)));
            i += digits;
        }
        return out;
    };

    std::ifstream in(cases_path);
    size_t checked = 0, failures = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("# ", 0) == 0) continue;
        const size_t tab = line.find('\t');
        ASSERT_NE(tab, std::string::npos) << line;
        const std::string input = unescape(line.substr(0, tab));
        const std::string expected = unescape(line.substr(tab + 1));
        ++checked;
        if (unicode::to_nfc(input) != expected && ++failures <= 20)
            ADD_FAILURE() << "NFC of " << line.substr(0, tab) << " expected " << line.substr(tab + 1);
    }
    EXPECT_GT(checked, 6000u);
    EXPECT_EQ(failures, 0u);
}

}  // namespace
}  // namespace flopwise
