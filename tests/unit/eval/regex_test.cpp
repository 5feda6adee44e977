// Regular expressions behave as Python's re does in the task definitions that use them.
#include <gtest/gtest.h>

#include "flopwise/error.hpp"
#include "flopwise/eval/regex.hpp"

namespace flopwise::eval {
namespace {

using Matches = std::vector<std::vector<std::string>>;

TEST(Regex, FindAllFollowsPythonGroupConventions) {
    EXPECT_EQ(Regex("[0-9]+").find_all("a1b22c333"), (Matches{{"1"}, {"22"}, {"333"}}));
    EXPECT_EQ(Regex("#### (\\-?[0-9\\.\\,]+)").find_all("x\n#### -1,234.5\n#### 7"), (Matches{{"-1,234.5"}, {"7"}}));
    // Two groups: each match gives both, an unset group as "".
    EXPECT_EQ(Regex("(-?[$0-9.,]{2,})|(-?[0-9]+)").find_all("I have 3 apples and $12."),
              (Matches{{"", "3"}, {"$12.", ""}}));
    EXPECT_TRUE(Regex("z").find_all("abc").empty());
}

TEST(Regex, EmptyMatchesAdvanceLikePython) {
    // Python: re.findall("x*", "axxb") == ['', 'xx', '', '']
    EXPECT_EQ(Regex("x*").find_all("axxb"), (Matches{{""}, {"xx"}, {""}, {""}}));
    // Python: re.sub("x*", "-", "abxd") == '-a-b--d-'
    EXPECT_EQ(Regex("x*").replace_all("abxd", "-"), "-a-b--d-");
}

TEST(Regex, ReplaceAllTakesPythonReferences) {
    EXPECT_EQ(Regex("(\\w+)@(\\w+)").replace_all("ann@home bob@work", "\\2:\\1"), "home:ann work:bob");
    EXPECT_EQ(Regex("(?P<word>b+)").replace_all("abbbc", "[\\g<word>]"), "a[bbb]c");
    EXPECT_EQ(Regex("(?s).*#### ").replace_all("step 1\nstep 2\n#### 42", ""), "42");
    EXPECT_EQ(Regex("\\.$").replace_all("42.", ""), "42");
    EXPECT_THROW(Regex("(a)").replace_all("a", "\\2"), Error);
}

TEST(Regex, UnicodeClassesAsInPython) {
    // \s matches a no-break space and \d an Arabic-Indic digit in Python's str patterns.
    EXPECT_EQ(Regex("\\s+").replace_all("a\xC2\xA0" "b", "_"), "a_b");
    EXPECT_EQ(Regex("\\d").find_all("\xD9\xA3").size(), 1u);
}

TEST(Regex, BadPatternNamesItself) {
    try {
        Regex("([0-9]");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("regex '([0-9]'"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace flopwise::eval
