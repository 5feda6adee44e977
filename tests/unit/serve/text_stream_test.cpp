// A streaming client must receive exactly the final text: nothing a stop string later cuts off,
// no half UTF-8 characters.
#include <gtest/gtest.h>

#include "flopwise/serve/text_stream.hpp"

namespace flopwise::serve {
namespace {

TEST(TextStream, HoldsBackWhatAStopStringCouldStillCut) {
    TextStream stream({"\n\n", "END"});
    EXPECT_EQ(stream.advance("Hello"), "Hello");
    EXPECT_EQ(stream.advance("Hello wor"), " wor");
    EXPECT_EQ(stream.advance("Hello world\n"), "ld");  // "\n" may begin "\n\n"
    EXPECT_EQ(stream.advance("Hello world\nE"), "\n");  // no longer "\n\n", but "E" may begin "END"
    EXPECT_EQ(stream.advance("Hello world\nEN"), "");
    EXPECT_EQ(stream.finish("Hello world\nENX"), "ENX");  // it ended on length, not on a stop string
    EXPECT_EQ(stream.finish("Hello world\nENX"), "");
}

TEST(TextStream, NeverSplitsAUtf8Character) {
    TextStream stream({});
    const std::string euro = "\xE2\x82\xAC";
    const std::string smile = "\xF0\x9F\x98\x80";
    std::string text = "a";
    EXPECT_EQ(stream.advance(text + euro[0]), "a");
    EXPECT_EQ(stream.advance(text + euro.substr(0, 2)), "");
    text.append(euro);
    EXPECT_EQ(stream.advance(text), euro);
    EXPECT_EQ(stream.advance(text + smile.substr(0, 2)), "");
    EXPECT_EQ(stream.finish(text + smile), smile);
}

}  // namespace
}  // namespace flopwise::serve
